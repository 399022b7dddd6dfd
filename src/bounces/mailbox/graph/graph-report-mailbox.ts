import { Injectable } from '@nestjs/common';
import { ReportMailboxProtocol, type ReportMailboxSettings } from '../../../settings/report-mailbox/report-mailbox-settings';
import { MailboxError, type MailboxLogin, type ReportMailbox, type ReportMailboxOpener } from '../report-mailbox';

/** Pages of the folder's messages read per look at most (100 each). */
const MAX_PAGES = 10;

/** A Graph error answer, in one line. */
interface GraphError {
  error?: { code?: string; message?: string };
}

/**
 * Reads reports through Microsoft Graph (v1.0), as Microsoft documents it:
 * `GET /users/{id}/mailFolders/{folder}/messages` lists the folder, `GET
 * /users/{id}/messages/{id}/$value` is a message's MIME, `POST
 * /users/{id}/messages/{id}/move` moves it (to a folder found or created under the
 * mailbox's root by display name). The bearer token comes from the relay's OAuth2
 * client, for Graph's own scope; the app needs the application permission
 * `Mail.ReadWrite` (`Mail.Read` reads but cannot move). Nothing is deleted.
 */
@Injectable()
export class GraphReportMailboxOpener implements ReportMailboxOpener {
  readonly protocol = ReportMailboxProtocol.GRAPH;

  async open(settings: ReportMailboxSettings, login: MailboxLogin, timeoutMs: number): Promise<ReportMailbox> {
    if (!login.accessToken) throw new MailboxError('LOGIN_REFUSED', 'Microsoft Graph takes OAuth2 tokens only: set authMethod OAUTH2');
    let token: string;
    try {
      token = await login.accessToken();
    } catch (error) {
      throw new MailboxError('LOGIN_REFUSED', `no OAuth2 access token for Microsoft Graph: ${(error as Error).message}`);
    }
    const graph = new Graph(settings.graphUrl ?? 'https://graph.microsoft.com', login.username, token, timeoutMs);
    const folder = await graph.folderId(settings.folder, false);
    if (!folder) throw new MailboxError('FAILED', `the mailbox ${login.username} has no folder ${settings.folder}`);
    return new GraphReportMailbox(graph, settings, `graph://${login.username}/${settings.folder}`, folder);
  }
}

class GraphReportMailbox implements ReportMailbox {
  private readonly folders = new Map<string, string>();

  constructor(
    private readonly graph: Graph,
    private readonly settings: ReportMailboxSettings,
    readonly id: string,
    private readonly folder: string,
  ) {}

  async list(): Promise<string[]> {
    const ids: string[] = [];
    let next: string | undefined = `mailFolders/${encodeURIComponent(this.folder)}/messages?$select=id&$orderby=receivedDateTime asc&$top=100`;
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const body = (await this.graph.json('GET', next)) as { value: Array<{ id: string }>; '@odata.nextLink'?: string };
      ids.push(...body.value.map((m) => m.id));
      next = body['@odata.nextLink'];
    }
    return ids;
  }

  async fetch(key: string, maxBytes: number): Promise<{ raw: Buffer } | { tooLarge: number } | null> {
    const res = await this.graph.request('GET', `messages/${encodeURIComponent(key)}/$value`);
    if (res.status === 404) return null;
    if (!res.ok) throw await this.graph.failure(res, 'read a message');
    const length = Number(res.headers.get('content-length'));
    if (length > maxBytes) {
      await res.body?.cancel();
      return { tooLarge: length };
    }
    // No length given: read up to the limit, and no further.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        return { tooLarge: size };
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return { raw: Buffer.concat(chunks) };
  }

  moveToProcessed(key: string): Promise<void> {
    return this.move(key, this.settings.processedFolder);
  }

  setAside(key: string): Promise<void> {
    return this.move(key, this.settings.asideFolder);
  }

  async close(): Promise<void> {
    // Nothing held open: each call is a request of its own.
  }

  private async move(key: string, folder: string): Promise<void> {
    let destination = this.folders.get(folder);
    if (!destination) {
      destination = (await this.graph.folderId(folder, true))!;
      this.folders.set(folder, destination);
    }
    const res = await this.graph.request('POST', `messages/${encodeURIComponent(key)}/move`, { destinationId: destination });
    if (res.status === 404) return; // moved or deleted by someone else meanwhile
    if (!res.ok) throw await this.graph.failure(res, `move a report to ${folder}`);
  }
}

/** The few calls the reader makes, on one mailbox (`/users/{id}`), with one token. */
class Graph {
  private readonly base: string;

  constructor(
    graphUrl: string,
    readonly user: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    this.base = `${graphUrl.replace(/\/+$/, '')}/v1.0/users/${encodeURIComponent(user)}/`;
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    try {
      return await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      throw new MailboxError('UNREACHABLE', `cannot reach Microsoft Graph at ${new URL(url).origin}: ${e.cause?.code ?? (e.name === 'TimeoutError' ? 'timed out' : e.message)}`);
    }
  }

  async json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await this.request(method, path, body);
    if (!res.ok) throw await this.failure(res, method === 'GET' ? 'read the mailbox' : 'change the mailbox');
    return res.json();
  }

  /** The id of a folder: a well-known name (inbox) or a path of display names under the mailbox's root, created when `create`. */
  async folderId(path: string, create: boolean): Promise<string | null> {
    if (/^inbox$/i.test(path)) {
      const res = await this.request('GET', 'mailFolders/inbox?$select=id');
      if (!res.ok) throw await this.failure(res, 'open the inbox');
      return ((await res.json()) as { id: string }).id;
    }
    let parent = 'msgfolderroot';
    for (const name of path.split('/').filter(Boolean)) {
      const filter = encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`);
      const found = (await this.json('GET', `mailFolders/${parent}/childFolders?$filter=${filter}&$select=id`)) as { value: Array<{ id: string }> };
      if (found.value[0]) {
        parent = found.value[0].id;
        continue;
      }
      if (!create) return null;
      parent = ((await this.json('POST', `mailFolders/${parent}/childFolders`, { displayName: name })) as { id: string }).id;
    }
    return parent;
  }

  /** A failed call, in one line: a refused token is LOGIN_REFUSED. */
  async failure(res: Response, what: string): Promise<MailboxError> {
    const body = (await res.json().catch(() => ({}))) as GraphError;
    const said = [body.error?.code, body.error?.message].filter(Boolean).join(': ') || res.statusText;
    const kind = res.status === 401 || res.status === 403 ? 'LOGIN_REFUSED' : res.status >= 500 || res.status === 429 ? 'UNREACHABLE' : 'FAILED';
    return new MailboxError(kind, `Microsoft Graph refused to ${what} of ${this.user}: HTTP ${res.status} ${said}`.slice(0, 500));
  }
}
