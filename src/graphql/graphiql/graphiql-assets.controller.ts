import { createReadStream } from 'node:fs';
import { Controller, Get, NotFoundException, Param, Res, StreamableFile } from '@nestjs/common';
import { Public } from '../../auth/auth.decorators';
import { HeraldConfig } from '../../config/herald-config';
import { GRAPHIQL_ASSETS, GRAPHIQL_ASSETS_PATH } from './graphiql-assets';

/** GraphiQL's scripts and style, so the IDE at /graphql works without internet access. */
@Controller(GRAPHIQL_ASSETS_PATH.slice(1))
export class GraphiqlAssetsController {
  constructor(private readonly config: HeraldConfig) {}

  @Get(':name')
  @Public()
  asset(@Param('name') name: string, @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown }): StreamableFile {
    const asset = this.config.graphqlIde && Object.hasOwn(GRAPHIQL_ASSETS, name) ? GRAPHIQL_ASSETS[name] : undefined;
    if (!asset) throw new NotFoundException();
    // The file changes only with the installed package: a day's caching spares the reloads.
    res.setHeader('cache-control', 'public, max-age=86400');
    return new StreamableFile(createReadStream(asset.file), { type: asset.type });
  }
}
