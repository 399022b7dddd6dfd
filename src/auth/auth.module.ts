import { Global, Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { HeraldConfig } from '../config/herald-config';
import { AuthGuard } from './auth.guard';
import { JwtSecret } from './jwt-secret';
import { TokenService } from './token.service';

@Global()
@Module({
  providers: [
    { provide: JwtSecret, inject: [HeraldConfig], useFactory: (c: HeraldConfig) => JwtSecret.load(c, new Logger('Auth')) },
    TokenService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, JwtSecret],
})
export class AuthModule {}
