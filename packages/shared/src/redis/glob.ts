/** `text` with the SCAN/KEYS glob characters escaped, so a pattern built from an id matches that id alone. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
