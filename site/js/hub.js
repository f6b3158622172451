// Fetch a config.json from the Hugging Face Hub, in the browser, on the user's request.
// The access token (for gated models) is used for this request only and never stored.
import { isValidHfId } from './state.js';

export class HubError extends Error {}

export function hubConfigUrl(id) {
  return `https://huggingface.co/${id}/resolve/main/config.json`;
}

export async function fetchHubConfig(id, token, { timeoutMs = 20000 } = {}) {
  if (!isValidHfId(id)) throw new HubError('A model id looks like owner/name, e.g. meta-llama/Llama-3.1-8B.');
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(hubConfigUrl(id), { headers, signal: controller.signal, credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch (err) {
    if (!navigator.onLine) throw new HubError('You are offline: the Hub cannot be reached. Presets and pasted configs still work.');
    if (err && err.name === 'AbortError') throw new HubError('huggingface.co did not answer in time; try again.');
    throw new HubError('Could not reach huggingface.co (offline, blocked, or a network error). Presets and pasted configs still work.');
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 401 || response.status === 403) {
    throw new HubError(
      token
        ? `The Hub refused the token for ${id} (${response.status}): accept the model's licence on its page and use a token with read access.`
        : `${id} is gated or private (${response.status}): add an access token with read access.`,
    );
  }
  if (response.status === 404) throw new HubError(`No config.json found for ${id} on the Hub (404): check the model id.`);
  if (!response.ok) throw new HubError(`The Hub answered ${response.status} for ${id}.`);
  const text = await response.text();
  if (text.length > 16 * 1024 * 1024) throw new HubError(`The config.json of ${id} is too large.`);
  return text;
}
