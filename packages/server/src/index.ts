/** @packageDocumentation Netplay server: sessions, rooms, matchmaking and relay (in progress). */
/** The version of this package. */
export const VERSION = '0.1.0';
