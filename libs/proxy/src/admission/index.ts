export * from '@app/proxy/admission/admission.service';
export * from '@app/proxy/admission/client-key.service';
export * from '@app/proxy/admission/pause.service';
