/**
 * The part of the `smpp` package (no published types) that idbridge uses.
 * PDU fields are named as in the SMPP specification.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  namespace smpp {
    interface Pdu {
      command: string;
      command_status: number;
      sequence_number: number;
      /** Other PDU parameters and TLVs, by their specification names. */
      [field: string]: unknown;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): Pdu;
    }

    interface Session extends EventEmitter {
      /** False when the socket is not writable. */
      send(pdu: Pdu, onResponse?: (response: Pdu) => void, onSent?: (pdu: Pdu) => void): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      /** Shortcuts named after every SMPP operation, e.g. `deliver_sm(params, onResponse)`. */
      [operation: string]: unknown;
    }

    interface Server extends NetServer {
      sessions: Session[];
    }
  }

  const smpp: {
    PDU: new (command: string, options?: Record<string, unknown>) => smpp.Pdu;
    connect(options: { host: string; port: number; tls?: boolean }): smpp.Session;
    createServer(listener?: (session: smpp.Session) => void): smpp.Server;
    errors: Record<string, number>;
  } & Record<string, unknown>;

  export = smpp;
}
