/**
 * A port for tests that need "nothing listens here". A port probed free and closed again can be
 * taken by another process before the test connects (several suites share this box); port 1
 * (tcpmux) is privileged and served by nothing here, so a connection to it is always refused.
 *
 * @module
 */

/** A TCP port on 127.0.0.1 that always refuses connections. */
export const CLOSED_PORT = 1;
