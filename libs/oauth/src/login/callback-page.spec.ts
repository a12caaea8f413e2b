import { escapeHtml, renderCallbackPage } from '@app/oauth/login/callback-page';

describe(renderCallbackPage.name, () => {
  it('should say the window can be closed after a success', () => {
    const html = renderCallbackPage({ ok: true, message: 'Saved claude-a@b.c.json.' });
    expect(html).toContain('<title>Login successful</title>');
    expect(html).toContain('You can close this window');
    expect(html).toContain('Saved claude-a@b.c.json.');
  });

  it('should escape the failure message (it may echo provider input)', () => {
    const html = renderCallbackPage({ ok: false, message: '<script>alert("x")</script>' });
    expect(html).toContain('Login failed');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('should escape every HTML special character', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
