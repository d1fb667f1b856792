// Name grammars the validator checks: Kubernetes' DNS names and port names, cookie tokens, URLs.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

export const isDns1123Label = (s: string): boolean => s.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(s);
export const isDns1035Label = (s: string): boolean => s.length <= DNS1123_LABEL_MAX && DNS1035_LABEL.test(s);
export const isDns1123Subdomain = (s: string): boolean =>
  s.length > 0 && s.length <= DNS1123_SUBDOMAIN_MAX && s.split('.').every((part) => DNS1123_LABEL.test(part));

/** The shape checks only; callers check lengths themselves, to say why a length matters. */
export const looksLikeDns1123Label = (s: string): boolean => DNS1123_LABEL.test(s);
export const looksLikeDns1035Label = (s: string): boolean => DNS1035_LABEL.test(s);
export const looksLikeDns1123Subdomain = (s: string): boolean => s.length > 0 && s.split('.').every((part) => DNS1123_LABEL.test(part));

/** IANA_SVC_NAME, Kubernetes' rule for named ports. */
export const isPortName = (s: string): boolean =>
  s.length >= 1 && s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--');

/** RFC 6265 cookie-name: an RFC 2616 token (visible ASCII without separators). */
export const isCookieToken = (s: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s);

/** A Set-Cookie attribute value (RFC 6265 av-value): printable ASCII without ';' or spaces. */
export const isCookieAttributeValue = (s: string): boolean => /^[\x21-\x3a\x3c-\x7e]+$/.test(s);

/** An absolute http or https URL with a host. */
export function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s)) return false;
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}
