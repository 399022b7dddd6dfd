import { Injectable, Module, type OnModuleInit, SetMetadata } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, Reflector } from '@nestjs/core';

/**
 * A controller of pages people see (the preferences page, one-click unsubscribe, a
 * subscription's confirmation): it answers, in HTML, a body Herald refused before
 * its handler could run — one Express's parser refused (over HTTP_BODY_LIMIT), or
 * multer's (a file, too many or too long fields). `status` is the refusal's (400,
 * 413, 415); the answer is written on `response` (Express's).
 */
export interface RefusesBodies {
  refuseBody(path: string, status: number, request: unknown, response: unknown): Promise<void>;
}

const PAGE_PATHS = 'herald:html-page-paths';

/** Marks a RefusesBodies controller with the paths whose refused bodies it answers. */
export const HtmlPage = (...paths: string[]) => SetMetadata(PAGE_PATHS, paths);

/**
 * The controllers marked @HtmlPage, found through Nest's DiscoveryService when the
 * application starts. HeraldExceptionFilter asks it who answers a path's refused
 * body instead of the API's JSON.
 */
@Injectable()
export class HtmlPages implements OnModuleInit {
  private readonly pages = new Map<string, RefusesBodies>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const { metatype, instance } of this.discovery.getControllers()) {
      const paths = metatype ? this.reflector.get<string[] | undefined>(PAGE_PATHS, metatype) : undefined;
      for (const path of paths ?? []) this.pages.set(path, instance as RefusesBodies);
    }
  }

  /** The page that answers `path`'s refused bodies, if it is a page's path. */
  refusalOf(path: string): ((status: number, request: unknown, response: unknown) => Promise<void>) | undefined {
    const page = this.pages.get(path);
    return page && ((status, request, response) => page.refuseBody(path, status, request, response));
  }
}

/** HtmlPages, for GraphqlApiModule's exception filter. */
@Module({ imports: [DiscoveryModule], providers: [HtmlPages], exports: [HtmlPages] })
export class HtmlPagesModule {}
