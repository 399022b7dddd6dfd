import type { Principal } from '../../auth/principal';

/** Who made a change: the caller's token subject and name, or Herald itself. */
export interface AuditActor {
  id: string;
  name: string | null;
}

/** The caller, as an audit entry names them. */
export function actorOf(principal: Principal): AuditActor {
  return { id: principal.sub, name: principal.name ?? null };
}

/** Herald itself: the settings it seeds from the environment (or HERALD_SETTINGS_FILE) on first start. */
export const SYSTEM_ACTOR: AuditActor = { id: 'system', name: 'first-start seed' };
