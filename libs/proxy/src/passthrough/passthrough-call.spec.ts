import { relayableError } from '@app/proxy/passthrough/passthrough-call';

describe(relayableError.name, () => {
  it('should relay a JSON error body as it came', () => {
    const body =
      '{"type":"error","error":{"type":"invalid_request_error","message":"x","details":{"error_code":"mid_conversation_system_not_supported"}},"request_id":"req_1"}';
    expect(relayableError(body)).toBe(body);
  });

  it('should mask credentials an upstream quotes back', () => {
    const out = relayableError(
      '{"error":{"message":"Incorrect API key provided: sk-proj-abcdefghijklmnop1234"}}',
    );
    expect(out).not.toContain('sk-proj-abcdefghijklmnop1234');
    expect(JSON.parse(out ?? '')).toMatchObject({ error: { message: expect.any(String) } });
  });

  it('should leave bodies that are not a whole JSON object to be rendered', () => {
    expect(relayableError('<html>bad gateway</html>')).toBeUndefined();
    expect(relayableError('{"error":{"message":"cut sho')).toBeUndefined();
    expect(relayableError('')).toBeUndefined();
  });
});
