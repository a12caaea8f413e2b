import { MetricsService } from '@app/metrics';

const HTTP = 'switchboard_http_request_duration_seconds';

describe(MetricsService.name, () => {
  const requests: [string, string, number, number][] = [
    ['/v1/chat/completions', 'POST', 200, 0.0123],
    ['/v1beta/models/*', 'POST', 429, 0.004],
    ['/v1/chat/completions', 'POST', 200, 1.5],
    ['unmatched', 'GET', 404, 0.0002],
    ['/v1/chat/completions', 'POST', 500, 200],
    ['/v1/models', 'GET', 200, 0.001],
  ];

  it('should time HTTP requests into the same series as direct label-object observations', async () => {
    const sut = new MetricsService();
    const direct = new MetricsService();
    for (const [route, method, status, s] of requests) {
      sut.observeHttp(route, method, status, s);
      direct.httpDuration.observe({ route, method, status: String(status) }, s);
    }
    // Only the HTTP histogram: the default process metrics differ between instances.
    const got = await sut.registry.getSingleMetricAsString(HTTP);
    expect(got).toBe(await direct.registry.getSingleMetricAsString(HTTP));
    expect(got).toContain(
      'switchboard_http_request_duration_seconds_count{route="/v1/chat/completions",method="POST",status="200"} 2',
    );
  });

  it('should count from zero again after the registry is reset', async () => {
    const sut = new MetricsService();
    for (const [route, method, status, s] of requests) sut.observeHttp(route, method, status, s);
    sut.registry.resetMetrics();
    sut.observeHttp('/v1/models', 'GET', 200, 0.001);
    const values = (await sut.httpDuration.get()).values.filter((v) =>
      v.metricName?.endsWith('_count'),
    );
    expect(values.map((v) => [v.labels.route, v.value])).toEqual([['/v1/models', 1]]);
  });
});
