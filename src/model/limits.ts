/**
 * Every resource bound (bytes, counts, time) that protects a run from hostile or huge input, in one place
 * (Spicy `&max-size`): the pipeline's, the capture replay's (reader, IP, TCP, UDP, HTTP/1, WebSocket, MQTT, TLS,
 * DNS), the face pool's, the live proxy's and the dashboard's (logins, sessions, live updates). Each has a default;
 * a run may override any of them (toyscope.yaml `limits`, tests)
 * by passing a partial object to `resolveLimits`. Not here: constants the formats themselves fix (WebSocket's
 * 125-byte control payloads, TLS's record size, GIF's 4096 codes) and internal caches; they stay in their modules.
 */
import { availableParallelism } from 'node:os';

export interface Limits {
  /** Bytes sniffed for magic at the start of each part. */
  SNIFF_BYTES: number;
  /** Inflated bytes per message before the content decoder stops with `inflate-size-exceeded`. */
  MAX_INFLATE_BYTES: number;
  /** Output/input ratio of a content decoder, checked once output passes INFLATE_RATIO_GRACE bytes. */
  MAX_INFLATE_RATIO: number;
  INFLATE_RATIO_GRACE: number;
  /** Nesting of JSON containers before the tokenizer stops with `too-deep`. */
  MAX_JSON_DEPTH: number;
  /** Strings longer than this reach analyzers in pieces of at most this many characters. */
  MAX_TOKEN_BYTES: number;
  /** Keys longer than this are cut (a key is part of every path below it). */
  MAX_KEY_BYTES: number;
  /** Levels of parts nested inside parts (base64 in JSON in multipart …). */
  MAX_BASE64_NESTING: number;
  /** A string value is tried as base64 only if at least this long. */
  MIN_BASE64_CHARS: number;
  /** Multipart parts per message. */
  MAX_PARTS: number;
  /** Bytes of one multipart part's header block. */
  MAX_PART_HEADER_BYTES: number;
  /** Bytes of an image kept for the face detector. */
  MAX_IMAGE_BYTES: number;
  /** Bytes of one evidence blob; past it only the head is kept and the finding says `truncated`. */
  MAX_EVIDENCE_BYTES: number;
  /** Findings one analyzer may report per message. */
  MAX_FINDINGS_PER_MESSAGE: number;
  /** Bytes of a message head (names and values) kept in the store; past it the rest is cut (`headTruncated`). */
  MAX_STORED_HEAD_BYTES: number;
  /** PCM the voice analyzer holds while a stream is undecided, so its clip starts at the start. */
  MAX_VOICE_PREBUFFER_BYTES: number;
  /** Raw Opus packets the voice analyzer holds until the stream is believed. */
  MAX_VOICE_PENDING_PACKETS: number;
  /** A stream message in vendor framing around gzip is inflated only up to this size (bigger: not looked into). */
  MAX_AUDIO_GZIP_FRAME_BYTES: number;
  /** Bytes inflated from one such message (a gzip bomb stops here). */
  MAX_AUDIO_GUNZIP_BYTES: number;

  /** Bytes a classic pcap record may claim; a larger one is taken as corruption (`corrupt-record`). */
  MAX_PCAP_RECORD_BYTES: number;
  /** Bytes a pcapng block may claim; a larger one is taken as corruption (`corrupt-block`) and reading stops. */
  MAX_PCAPNG_BLOCK_BYTES: number;
  /** IP datagrams being reassembled from fragments at once; past it the oldest is dropped (`ip-fragment-overflow`). */
  MAX_FRAGMENT_DATAGRAMS: number;
  /** Fragments kept per IP datagram; past it the datagram is dropped (`ip-fragment-overflow`). */
  MAX_FRAGMENTS_PER_DATAGRAM: number;
  /** Capture time (µs) a datagram may wait for its missing fragments (Linux ipfrag_time). */
  FRAGMENT_TIMEOUT_US: number;
  /** Out-of-order TCP bytes queued per direction; past it the stream skips to the next queued segment with a gap. */
  MAX_OOO_BYTES_PER_DIR: number;
  /** Out-of-order TCP bytes queued across all connections; past it the least recently used queue is flushed. */
  MAX_OOO_BYTES_TOTAL: number;
  /**
   * TCP connections tracked at once (about 0.9 KiB each before any byte); past it the least recently active 1% are
   * closed as `evicted` (a later segment of one opens a new, mid-stream connection).
   */
  MAX_TCP_CONNECTIONS: number;
  /** Delivered bytes each TCP direction remembers to compare overlapping retransmissions with (rounded to a power of 2). */
  MAX_TCP_OVERLAP_CHECK_BYTES: number;
  /** Remembered delivered bytes across all connections; a direction opened past it is not compared. */
  MAX_TCP_OVERLAP_CHECK_TOTAL: number;
  /** Capture time (µs) without a segment after which an open TCP connection closes as `idle` (Zeek's default). */
  TCP_IDLE_TIMEOUT_US: number;
  /**
   * UDP flows open at once (about 3 KiB each: an open UDP flow is open in the pipeline too); past it the least
   * recently active one closes as `evicted`.
   */
  MAX_UDP_FLOWS: number;
  /** Capture time (µs) without a datagram after which a UDP flow closes as `idle`. */
  UDP_IDLE_TIMEOUT_US: number;
  /**
   * Bytes of one HTTP/1 head (start line + fields) or trailer block; past it `header-too-large`, direction opaque.
   * HTTP/2: bytes of one header block as sent (past it `header-block-too-large`, that direction stops) and of its
   * decoded field list (name + value + 32 each; past it fields are dropped, `header-list-too-large`).
   */
  MAX_HTTP_HEADER_BYTES: number;
  /** Bytes of one HTTP/1 chunk-size line (with extensions) or trailer line. */
  MAX_HTTP_CHUNK_LINE_BYTES: number;
  /** Client bytes held after an HTTP/1 Upgrade/CONNECT request while its response is awaited. */
  MAX_HTTP_UPGRADE_HOLD_BYTES: number;
  /** HTTP/1 requests awaiting a response (pipelining); the oldest is forgotten past it. */
  MAX_HTTP_PENDING_REQUESTS: number;
  /**
   * HTTP/2 streams tracked at once (those with a message open); past it the oldest is ended and forgotten
   * (`too-many-streams`).
   */
  MAX_HTTP2_STREAMS: number;
  /** CONTINUATION frames after one HTTP/2 HEADERS or PUSH_PROMISE; past it `continuation-flood`, direction stops. */
  MAX_HTTP2_CONTINUATIONS: number;
  /** Bytes an HPACK dynamic table may be sized to (a size update past it is `hpack-table-size-too-large`). */
  MAX_HPACK_TABLE_BYTES: number;
  /** Payload bytes one WebSocket frame may declare; past it `frame-too-large` and that direction stops. */
  MAX_WEBSOCKET_FRAME_BYTES: number;
  /** Bytes of an MQTT CONNECT/SUBSCRIBE body or PUBLISH topic + properties held to parse; past it the packet is skipped. */
  MAX_MQTT_HEADER_BYTES: number;
  /** Bytes of one TLS direction read for metadata before the record reader gives up on that side. */
  MAX_TLS_SCAN_BYTES: number;
  /** Largest TLS handshake message kept (a Certificate chain); a larger one stops that side. */
  MAX_TLS_HANDSHAKE_BYTES: number;
  /** TLS sessions (client randoms) a key log may name; lines past it are counted as `overflow`, not kept. */
  MAX_TLS_KEYLOG_SESSIONS: number;
  /** Bytes of one key log line; a longer line is counted as bad. */
  MAX_TLS_KEYLOG_LINE_BYTES: number;
  /** Ciphertext of one TLS side held until the hellos name its keys; past it that side is counted undecrypted. */
  MAX_TLS_HELD_BYTES: number;
  /** HAR entries indexed and replayed per file; past it entries are skipped (`har-entries-over-limit`). */
  MAX_HAR_ENTRIES: number;
  /** HAR connection groups (flows) open at once; past it the least recently used one is closed. */
  MAX_HAR_OPEN_FLOWS: number;
  /** DNS questions and records read per section; past it `too-many-questions`, extra records are counted. */
  MAX_DNS_RECORDS: number;
  /** DNS IP → name entries kept per replay (least recently used dropped first). */
  MAX_DNS_NAMES: number;
  /** Looked-up names tracked per replay for the "looked up, never contacted" destinations. */
  MAX_DNS_LOOKUPS: number;
  /** Recent (device, address) contacts remembered for DNS lookups made after them (older ones are forgotten). */
  MAX_DNS_CONTACTS: number;
  /** UDP DNS flows with per-flow state (pending query ids) at once. */
  MAX_DNS_FLOWS: number;
  /** DNS queries awaiting their response, per flow. */
  MAX_DNS_PENDING_QUERIES: number;
  /** Queries the live DNS forwarder has sent upstream and awaits; past it a new query is answered SERVFAIL. */
  MAX_DNS_FORWARD_PENDING: number;
  /** Milliseconds the live DNS forwarder waits for its upstream (or a TCP client's next query) before giving up. */
  MAX_DNS_FORWARD_WAIT_MS: number;
  /** TCP connections the live DNS forwarder serves at once; more are refused. */
  MAX_DNS_TCP_CLIENTS: number;
  /**
   * Face-detector worker threads at most. Each holds about 190 MiB (tfjs-wasm, the model and the inference memory,
   * which never shrinks); the default leaves one core to the pipeline: min(2, cores - 1), at least 1.
   */
  MAX_FACE_WORKERS: number;
  /**
   * Live: images waiting for a face-pool worker before a check answers `queue-full`. Replay: images being checked
   * before the reader waits for the detector (backpressure; nothing is dropped).
   */
  MAX_FACE_QUEUE: number;
  /** Live only: milliseconds from a face check to its answer (queue wait + model load + detection) before `timeout`. */
  MAX_FACE_WAIT_MS: number;
  /**
   * Milliseconds one image may stay in a worker without an answer before the worker is taken as stuck and
   * replaced; replay retries the image once on a new worker, then reports `detector-failed`.
   */
  MAX_FACE_STUCK_MS: number;
  /** Images above this many megapixels are not decoded for the face detector. */
  MAX_DECODE_MEGAPIXELS: number;
  /**
   * Replay: body bytes of a flow's events held (copied) while they wait for its deferred work (the face detector);
   * past it the reader waits too.
   */
  MAX_HELD_BYTES: number;

  /** Per-host TLS contexts (minted leaves) the live proxy keeps; the least recently used is dropped past it. */
  MAX_PROXY_CERTS: number;
  /** Device connections the live proxy holds at once; past it new ones are refused (closed at once). */
  MAX_PROXY_CONNECTIONS: number;
  /** Milliseconds for a device to send its first bytes, request head or TLS handshake before it is closed. */
  PROXY_HANDSHAKE_TIMEOUT_MS: number;
  /**
   * Milliseconds a redirected device (gateway) may stay silent before its connection is taken as a protocol whose
   * server speaks first and relayed to its original destination as it is.
   */
  PROXY_SERVER_FIRST_MS: number;
  /** Milliseconds to reach the cloud (TCP, upstream proxy and TLS) before the device gets 504. */
  PROXY_CONNECT_TIMEOUT_MS: number;
  /** Milliseconds the cloud may take to start answering an HTTP request before the device gets 504. */
  PROXY_RESPONSE_TIMEOUT_MS: number;
  /**
   * Milliseconds the proxy waits, after a device finished the handshake on a forged certificate, for its first
   * application data (which says it accepted the certificate) before relaying anyway with no verdict.
   */
  PROXY_FIRST_DATA_WAIT_MS: number;
  /** Milliseconds a (device, host) stays in passthrough after refusing the certificate twice, before a re-probe. */
  PROXY_PASSTHROUGH_TTL_MS: number;
  /** (device, host) pairs whose certificate checks the live proxy remembers; the oldest is forgotten past it. */
  MAX_PROXY_CERT_CHECKS: number;

  /** Failed dashboard logins per client address within LOGIN_WINDOW_MS before 429 (and 4× that from all). */
  MAX_LOGIN_FAILURES: number;
  LOGIN_WINDOW_MS: number;
  /** Dashboard sessions alive at once (the oldest goes first) and how long one lives idle. */
  MAX_SESSIONS: number;
  SESSION_IDLE_MS: number;
  /** Open live-update (SSE) connections at once. */
  MAX_SSE_CLIENTS: number;
  /** How often the dashboard asks SQLite whether another process committed (PRAGMA data_version). */
  LIVE_POLL_MS: number;
  /** Rows per live-update batch (past it the page is told to reload). */
  MAX_LIVE_BATCH: number;
  /** Bytes of a dashboard request body (login, experiments). */
  MAX_DASHBOARD_BODY_BYTES: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  SNIFF_BYTES: 512,
  MAX_INFLATE_BYTES: 256 * 1024 * 1024,
  MAX_INFLATE_RATIO: 1000,
  INFLATE_RATIO_GRACE: 1024 * 1024,
  MAX_JSON_DEPTH: 64,
  MAX_TOKEN_BYTES: 64 * 1024,
  MAX_KEY_BYTES: 256,
  MAX_BASE64_NESTING: 3,
  MIN_BASE64_CHARS: 64,
  MAX_PARTS: 1000,
  MAX_PART_HEADER_BYTES: 16 * 1024,
  MAX_IMAGE_BYTES: 16 * 1024 * 1024,
  MAX_EVIDENCE_BYTES: 8 * 1024 * 1024,
  MAX_FINDINGS_PER_MESSAGE: 100,
  MAX_STORED_HEAD_BYTES: 16 * 1024,
  MAX_VOICE_PREBUFFER_BYTES: 256 * 1024,
  MAX_VOICE_PENDING_PACKETS: 64,
  MAX_AUDIO_GZIP_FRAME_BYTES: 64 * 1024,
  MAX_AUDIO_GUNZIP_BYTES: 256 * 1024,

  MAX_PCAP_RECORD_BYTES: 16 * 1024 * 1024,
  MAX_PCAPNG_BLOCK_BYTES: 16 * 1024 * 1024,
  MAX_FRAGMENT_DATAGRAMS: 4096,
  MAX_FRAGMENTS_PER_DATAGRAM: 256,
  FRAGMENT_TIMEOUT_US: 30_000_000,
  MAX_OOO_BYTES_PER_DIR: 1024 * 1024,
  MAX_OOO_BYTES_TOTAL: 128 * 1024 * 1024,
  MAX_TCP_CONNECTIONS: 50_000,
  MAX_TCP_OVERLAP_CHECK_BYTES: 8 * 1024,
  MAX_TCP_OVERLAP_CHECK_TOTAL: 64 * 1024 * 1024,
  TCP_IDLE_TIMEOUT_US: 300_000_000,
  MAX_UDP_FLOWS: 20_000,
  UDP_IDLE_TIMEOUT_US: 60_000_000,
  MAX_HTTP_HEADER_BYTES: 64 * 1024,
  MAX_HTTP_CHUNK_LINE_BYTES: 4 * 1024,
  MAX_HTTP_UPGRADE_HOLD_BYTES: 64 * 1024,
  MAX_HTTP_PENDING_REQUESTS: 1024,
  MAX_HTTP2_STREAMS: 1024,
  MAX_HTTP2_CONTINUATIONS: 64,
  MAX_HPACK_TABLE_BYTES: 64 * 1024,
  MAX_WEBSOCKET_FRAME_BYTES: 2 ** 40,
  MAX_MQTT_HEADER_BYTES: 64 * 1024,
  MAX_TLS_SCAN_BYTES: 64 * 1024,
  MAX_TLS_HANDSHAKE_BYTES: 48 * 1024,
  MAX_TLS_KEYLOG_SESSIONS: 200_000,
  MAX_TLS_KEYLOG_LINE_BYTES: 1024,
  MAX_TLS_HELD_BYTES: 256 * 1024,
  MAX_HAR_ENTRIES: 200_000,
  MAX_HAR_OPEN_FLOWS: 10_000,
  MAX_DNS_RECORDS: 64,
  MAX_DNS_NAMES: 4096,
  MAX_DNS_LOOKUPS: 4096,
  MAX_DNS_CONTACTS: 4096,
  MAX_DNS_FLOWS: 1024,
  MAX_DNS_PENDING_QUERIES: 256,
  MAX_DNS_FORWARD_PENDING: 1024,
  MAX_DNS_FORWARD_WAIT_MS: 5_000,
  MAX_DNS_TCP_CLIENTS: 256,
  MAX_FACE_WORKERS: Math.min(2, Math.max(1, availableParallelism() - 1)),
  MAX_FACE_QUEUE: 32,
  MAX_FACE_WAIT_MS: 15_000,
  MAX_FACE_STUCK_MS: 60_000,
  MAX_DECODE_MEGAPIXELS: 40,
  MAX_HELD_BYTES: 32 * 1024 * 1024,
  MAX_PROXY_CERTS: 1000,
  MAX_PROXY_CONNECTIONS: 10_000,
  PROXY_HANDSHAKE_TIMEOUT_MS: 30_000,
  PROXY_SERVER_FIRST_MS: 2000,
  PROXY_CONNECT_TIMEOUT_MS: 10_000,
  PROXY_RESPONSE_TIMEOUT_MS: 60_000,
  PROXY_FIRST_DATA_WAIT_MS: 5_000,
  PROXY_PASSTHROUGH_TTL_MS: 30 * 60_000,
  MAX_PROXY_CERT_CHECKS: 10_000,

  MAX_LOGIN_FAILURES: 5,
  LOGIN_WINDOW_MS: 60_000,
  MAX_SESSIONS: 64,
  SESSION_IDLE_MS: 12 * 3_600_000,
  MAX_SSE_CLIENTS: 32,
  LIVE_POLL_MS: 250,
  MAX_LIVE_BATCH: 500,
  MAX_DASHBOARD_BODY_BYTES: 16 * 1024,
});

export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
