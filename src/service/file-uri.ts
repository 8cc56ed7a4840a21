/** The file-system path of a `file:` URI (Node only), or null for any other URI or a malformed one. */
import { fileURLToPath } from 'node:url';

export function pathOfFileUri(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}
