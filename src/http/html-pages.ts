import { Injectable, Module } from '@nestjs/common';

/**
 * How a page answers a request Herald refused before the page's controller could:
 * a body Express's parser refused (over HTTP_BODY_LIMIT), or multer's (a file, too
 * many or too long fields). `status` is the refusal's (400, 413, 415); the answer is
 * written on `response` (Express's).
 */
export type PageRefusal = (status: number, request: unknown, response: unknown) => Promise<void>;

/**
 * The paths whose answers are HTML pages people see (the preferences page, one-click
 * unsubscribe, a subscription's confirmation). HeraldExceptionFilter answers their
 * refused bodies with the page's own refusal instead of the API's JSON.
 */
@Injectable()
export class HtmlPages {
  private readonly pages = new Map<string, PageRefusal>();

  register(path: string, refuse: PageRefusal): void {
    this.pages.set(path, refuse);
  }

  refusalOf(path: string): PageRefusal | undefined {
    return this.pages.get(path);
  }
}

/** One HtmlPages for the app: imported by the pages' modules and by GraphqlApiModule (its exception filter). */
@Module({ providers: [HtmlPages], exports: [HtmlPages] })
export class HtmlPagesModule {}
