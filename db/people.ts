/**
 * The channel on which the database announces that a person changed: migration 0009's
 * triggers send the person's id on every committed update or delete of their user row or
 * memberships. Other payloads are markers an instance sends itself (#bot/lib/changes).
 */
export const PEOPLE_CHANNEL = "people_changed";
