import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The events a delivery is about, in order: one for an immediate mail, several
 * for a mail about several events (a digest, a summary). The mail is rendered
 * from them; position 0 is the event it is first about.
 */
@Entity({ name: 'delivery_events' })
export class DeliveryEventEntity {
  @PrimaryColumn({ name: 'delivery_id', type: 'integer' })
  deliveryId: number;

  @PrimaryColumn({ type: 'integer' })
  position: number;

  @Column({ name: 'event_id', type: 'varchar', length: 128 })
  eventId: string;
}
