import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

/** Lets in requests with a valid bearer token carrying the SERVICE role — what publishing an event takes in Herald too. */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: { authorization?: string } }>().headers.authorization ?? '';
    try {
      const claims = this.jwt.verify<{ roles?: string[] }>(header.replace(/^Bearer /, ''));
      if (claims.roles?.includes('SERVICE')) return true;
    } catch {
      // an invalid or expired token: refused below
    }
    throw new UnauthorizedException();
  }
}
