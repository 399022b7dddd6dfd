import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A single-use part of a preferences link that was used: `one-click:<delivery id>`
 * (RFC 8058 unsubscribe, once per mail) or `form:<form id>` (a submitted form of the
 * preferences page). Kept until the link expires: after that the link is refused anyway.
 */
@Entity({ name: 'used_links' })
export class UsedLinkEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
