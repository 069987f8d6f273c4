/**
 * The browser's upload transport for ApiClient: XMLHttpRequest, the one browser API that
 * reports how much of a request body has been sent (fetch does not). Same-origin, so the
 * session cookie goes along as with fetch; the client's headers (bearer token,
 * X-Requested-With) are set on each request.
 */
import { abortedError, networkError, type UploadTransport } from './api.js';
import { t } from '../i18n/index.js';

export function xhrTransport(create: () => XMLHttpRequest = () => new XMLHttpRequest()): UploadTransport {
  return (req) => {
    const xhr = create();
    const done = new Promise<{ status: number; text: string; retryAfter: string | null }>((resolve, reject) => {
      xhr.open(req.method, req.url);
      for (const [name, value] of Object.entries(req.headers)) xhr.setRequestHeader(name, value);
      // Registered before send(): progress listeners added later may never fire.
      const onProgress = req.onProgress;
      if (onProgress !== undefined) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader('Retry-After') });
      xhr.onerror = () => reject(networkError(new Error(t('error.uploadUnreachable'))));
      xhr.ontimeout = () => reject(networkError(new Error(t('error.uploadTimeout'))));
      xhr.onabort = () => reject(abortedError());
      xhr.send(req.body);
    });
    return { done, abort: () => xhr.abort() };
  };
}
