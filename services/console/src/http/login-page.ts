/** The sign-in page: a token in, a session cookie out. Self-contained (no script, its own style). */
export function loginPage(error?: string): string {
  const escaped = (error ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Sign in · fraud pipeline console</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; background: #f5f6f8; color: #1d2330; }
  form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); width: min(28rem, 90vw); }
  h1 { font-size: 1.2rem; margin: 0 0 1rem; }
  label { display: block; margin-bottom: .5rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; }
  button { margin-top: 1rem; padding: .5rem 1.2rem; font: inherit; }
  .error { color: #b3261e; }
  .muted { color: #5b6475; font-size: .85rem; }
</style>
</head>
<body>
<form id="login" method="post" action="/login">
  <h1>Fraud pipeline console</h1>
  ${error ? `<p class="error" id="login-error">${escaped}</p>` : ''}
  <label for="token">Access token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
  <button type="submit">Sign in</button>
  <p class="muted">The token of a principal in HTTP_AUTH_TOKENS (docs/security.md, "HTTP authentication").</p>
</form>
</body>
</html>
`;
}
