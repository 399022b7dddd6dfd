import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackHttpServer } from './loopback-http-server';

interface Folder {
  id: string;
  displayName: string;
  parentId: string | null;
}

interface Message {
  id: string;
  folderId: string;
  raw: Buffer;
  received: number;
}

/**
 * One Microsoft 365 mailbox as Microsoft Graph v1.0 serves it, on loopback: the
 * calls a mail reader makes, answered as Microsoft documents them —
 * `GET /users/{id}/mailFolders/inbox`, `…/mailFolders/{id}/messages` (paged with
 * `@odata.nextLink`), `…/mailFolders/{id}/childFolders?$filter=displayName eq '…'`,
 * `POST …/childFolders`, `GET …/messages/{id}/$value` (the MIME), `POST
 * …/messages/{id}/move` (a new id, as Exchange gives a moved item) — each with a
 * bearer token the test's token endpoint issued (else 401
 * InvalidAuthenticationToken). `readOnly`: the app has Mail.Read only (moves 403).
 */
export class GraphMailbox extends LoopbackHttpServer {
  readOnly = false;
  /** Every call, as `METHOD path`. */
  readonly calls: string[] = [];
  private readonly folders = new Map<string, Folder>();
  /** Tokens presented so far, and those Graph no longer takes. */
  private readonly seen = new Set<string>();
  private readonly refused = new Set<string>();
  private readonly messages = new Map<string, Message>();
  private seq = 0;

  constructor(
    private readonly user: string,
    private readonly isValid: (token: string) => boolean,
  ) {
    super();
    this.folders.set('root', { id: 'root', displayName: 'Top of Information Store', parentId: null });
    this.folders.set('inbox', { id: 'AAMkInbox', displayName: 'Inbox', parentId: 'root' });
  }

  /** Graph stops taking the tokens it was shown so far (consent revoked for Graph; the relay's own tokens are not concerned). */
  refuseTokensSeen(): void {
    for (const token of this.seen) this.refused.add(token);
  }

  /** A mail arrives in the inbox. */
  deliver(raw: Buffer): void {
    const id = `AAMkMsg${++this.seq}`;
    this.messages.set(id, { id, folderId: 'AAMkInbox', raw, received: this.seq });
  }

  /** The mails of a folder, by its path of display names (`Inbox`, `Herald/Processed`). */
  inFolder(path: string): Buffer[] {
    let folder: Folder | undefined;
    let parent = 'root';
    for (const name of path.split('/')) {
      folder = [...this.folders.values()].find((f) => f.parentId === parent && f.displayName.toLowerCase() === name.toLowerCase());
      if (!folder) return [];
      parent = folder.id;
    }
    return [...this.messages.values()].filter((m) => m.folderId === folder!.id).sort((a, b) => a.received - b.received).map((m) => m.raw);
  }

  private folderOf(id: string): Folder | undefined {
    if (id === 'msgfolderroot') return this.folders.get('root');
    if (id.toLowerCase() === 'inbox') return this.folders.get('inbox');
    return [...this.folders.values()].find((f) => f.id === id);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', this.url);
    this.calls.push(`${req.method} ${url.pathname}`);
    const answer = (status: number, body: object): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const error = (status: number, code: string, message: string): void => answer(status, { error: { code, message } });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token) this.seen.add(token);
    if (!token || !this.isValid(token) || this.refused.has(token)) return error(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    const prefix = `/v1.0/users/${encodeURIComponent(this.user)}/`;
    if (!url.pathname.startsWith(prefix)) return error(404, 'ErrorInvalidUser', "The requested user is invalid.");
    const path = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);

    if (path[0] === 'mailFolders' && req.method === 'GET' && path.length === 2) {
      const folder = this.folderOf(path[1]);
      return folder ? answer(200, { id: folder.id }) : error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    }
    if (path[0] === 'mailFolders' && path[2] === 'messages' && req.method === 'GET') {
      const folder = this.folderOf(path[1]);
      if (!folder) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      const top = Number(url.searchParams.get('$top') ?? 10);
      const skip = Number(url.searchParams.get('$skip') ?? 0);
      const all = [...this.messages.values()].filter((m) => m.folderId === folder.id).sort((a, b) => a.received - b.received);
      const page = all.slice(skip, skip + top).map((m) => ({ id: m.id }));
      const next = new URL(url);
      next.searchParams.set('$skip', String(skip + top));
      return answer(200, { value: page, ...(skip + top < all.length ? { '@odata.nextLink': next.href } : {}) });
    }
    if (path[0] === 'mailFolders' && path[2] === 'childFolders') {
      const parent = this.folderOf(path[1]);
      if (!parent) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      if (req.method === 'GET') {
        const name = /^displayName eq '(.*)'$/.exec(url.searchParams.get('$filter') ?? '')?.[1]?.replace(/''/g, "'");
        const children = [...this.folders.values()].filter((f) => f.parentId === parent.id && (name === undefined || f.displayName === name));
        return answer(200, { value: children.map((f) => ({ id: f.id, displayName: f.displayName })) });
      }
      if (this.readOnly) return error(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      const { displayName } = JSON.parse(raw) as { displayName: string };
      const folder = { id: `AAMkFolder-${randomUUID()}`, displayName, parentId: parent.id };
      this.folders.set(folder.id, folder);
      return answer(201, { id: folder.id, displayName });
    }
    if (path[0] === 'messages' && path[2] === '$value' && req.method === 'GET') {
      const message = this.messages.get(path[1]);
      if (!message) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': message.raw.length }).end(message.raw);
    }
    if (path[0] === 'messages' && path[2] === 'move' && req.method === 'POST') {
      const message = this.messages.get(path[1]);
      if (!message) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      if (this.readOnly) return error(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      const destination = this.folderOf((JSON.parse(raw) as { destinationId: string }).destinationId);
      if (!destination) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      this.messages.delete(message.id);
      const moved = { ...message, id: `AAMkMsg${++this.seq}`, folderId: destination.id };
      this.messages.set(moved.id, moved);
      return answer(201, { id: moved.id });
    }
    return error(400, 'BadRequest', `Unsupported request: ${req.method} ${url.pathname}`);
  }
}
