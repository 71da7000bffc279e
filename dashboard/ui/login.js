// Login: the token comes from the URL fragment (printed once by `toyscope dashboard`; a fragment never reaches
// a server or a Referer) or from the form, and is traded for an HttpOnly session cookie.
const form = document.getElementById('login');
const error = document.getElementById('error');

async function login(token) {
  const res = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status === 204) {
    location.replace('/');
    return;
  }
  const body = await res.json().catch(() => ({}));
  error.textContent = body.error ?? `login failed (${res.status})`;
}

const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromUrl) {
  history.replaceState(null, '', location.pathname); // the token leaves the address bar and history
  login(fromUrl);
}
form.addEventListener('submit', (e) => {
  e.preventDefault();
  login(form.token.value);
});
