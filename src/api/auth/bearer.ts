// The credential of an `Authorization: Bearer <credential>` header; each caller says what it expected there.

/** The bearer credential, or undefined when the header is missing or another scheme. */
export function bearerCredential(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
