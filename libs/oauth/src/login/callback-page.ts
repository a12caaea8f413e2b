const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const SPECIAL = /[&<>"']/g;

/** Escape text for HTML (messages may echo provider errors, which are untrusted). */
export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, (c) => ESCAPES[c]);
}

/**
 * The small page a browser lands on after the provider redirects back: success says the window
 * can be closed, failure says why and what to do. No scripts, no external assets.
 */
export function renderCallbackPage(result: { ok: boolean; message: string }): string {
  const title = result.ok ? 'Login successful' : 'Login failed';
  const hint = result.ok
    ? 'You can close this window and return to Switchboard.'
    : 'Close this window and start the login again.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem;color:${result.ok ? '#1a7f37' : '#cf222e'}}
</style>
</head>
<body>
<h1>${title}</h1>
<p>${escapeHtml(result.message)}</p>
<p>${hint}</p>
</body>
</html>
`;
}
