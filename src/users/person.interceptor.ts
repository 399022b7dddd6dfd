import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, switchMap, type Observable } from 'rxjs';
import { requestOf } from '../auth/auth.decorators';
import { hasRole } from '../auth/principal';
import { Role } from '../auth/role.enum';
import { UsersService } from './users.service';

/**
 * Creates the person behind a USER or ADMIN token the first time they call
 * Herald — no sign-up. SERVICE tokens are not people. Auth stays ignorant of users:
 * this runs after the guard has found the principal.
 */
@Injectable()
export class PersonInterceptor implements NestInterceptor {
  constructor(private readonly users: UsersService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = requestOf(context)?.principal;
    if (!principal || !hasRole(principal, Role.USER, Role.ADMIN)) return next.handle();
    return from(this.users.ensureUser(principal)).pipe(switchMap(() => next.handle()));
  }
}
