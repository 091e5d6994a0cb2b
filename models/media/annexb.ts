/**
 * Splits an H.264 or H.265 Annex B byte stream (what `ffmpeg -f h264 pipe:1` writes) into access
 * units — one coded picture with the parameter sets and SEI in front of it — and tells which ones
 * a decoder can start from. Live sessions need that to join or switch a running stream at a
 * keyframe and to hand whole pictures to each reader, never half of one.
 *
 * The boundary rule is the standard's (H.264 7.4.1.2.3, H.265 7.4.2.4.4): after the last slice of
 * a picture, the next parameter set, SEI, access unit delimiter or first slice of a new picture
 * starts a new access unit. A picture is complete only once the next one begins, so the splitter
 * holds one picture back; at the end of the stream `flush()` hands over the last.
 *
 * @module
 */

/** The video codecs the live relay can pass through untouched. */
export type AnnexBCodec = "h264" | "h265";

/** One coded picture with whatever came in front of it. */
export interface AccessUnit {
  /** The Annex B bytes, start codes included (owned by the receiver). */
  data: Uint8Array;
  /** Holds an IDR/IRAP picture: a decoder can start here. */
  keyframe: boolean;
  /** Carries a sequence parameter set (with a keyframe: a clean start for a new reader). */
  parameterSets: boolean;
}

/** Kinds of NAL unit that matter for splitting. */
interface NalKind {
  vcl: boolean;
  /** A VCL NAL that begins a new picture (first slice). */
  firstSlice: boolean;
  /** A non-VCL NAL that always begins a new access unit after a picture. */
  startsUnit: boolean;
  keyframe: boolean;
  sps: boolean;
}

/**
 * Classifies a NAL unit from the bytes after its start code.
 *
 * @param codec h264 or h265
 * @param header the NAL header and at least the first byte of the slice header
 * @returns the kind, or undefined when more bytes are needed
 */
export function nalKind(codec: AnnexBCodec, header: Uint8Array): NalKind | undefined {
  if (codec === "h264") {
    if (header.length < 1) return undefined;
    const type = header[0]! & 0x1f;
    const vcl = type >= 1 && type <= 5;
    if (vcl && header.length < 2) return undefined;
    return {
      vcl,
      // first_mb_in_slice is ue(v): its first bit is 1 exactly when it is 0.
      firstSlice: vcl && (header[1]! & 0x80) !== 0,
      startsUnit: type === 6 || type === 7 || type === 8 || type === 9 ||
        (type >= 14 && type <= 18),
      keyframe: type === 5,
      sps: type === 7,
    };
  }
  if (header.length < 2) return undefined;
  const type = (header[0]! >> 1) & 0x3f;
  const vcl = type <= 31;
  if (vcl && header.length < 3) return undefined;
  return {
    vcl,
    // first_slice_segment_in_pic_flag is the first bit after the two-byte NAL header.
    firstSlice: vcl && (header[2]! & 0x80) !== 0,
    startsUnit: (type >= 32 && type <= 35) || type === 39 || (type >= 41 && type <= 44) ||
      (type >= 48 && type <= 55),
    keyframe: type >= 16 && type <= 21,
    sps: type === 33,
  };
}

/**
 * Incremental Annex B splitter. Feed it chunks as they come off a pipe; it returns the access
 * units completed by each chunk.
 *
 * @example
 * ```ts
 * const splitter = new AccessUnitSplitter("h264");
 * for await (const chunk of ffmpeg.stdout) {
 *   for (const unit of splitter.push(chunk)) if (unit.keyframe) console.log("IDR");
 * }
 * ```
 */
export class AccessUnitSplitter {
  readonly #codec: AnnexBCodec;
  #buf = new Uint8Array(1 << 16);
  #len = 0;
  /** Where the next start-code search resumes. */
  #scan = 0;
  /** Offset of the NAL whose kind is still unknown (header not all here yet), or -1. */
  #pendingNal = -1;
  #pendingNalHeader = -1;
  #sawVcl = false;
  #keyframe = false;
  #parameterSets = false;

  /** @param codec the stream's codec */
  constructor(codec: AnnexBCodec) {
    this.#codec = codec;
  }

  /**
   * Adds bytes and returns every access unit they complete.
   *
   * @param chunk the next bytes of the stream
   * @returns completed access units, in order
   */
  push(chunk: Uint8Array): AccessUnit[] {
    this.#append(chunk);
    const out: AccessUnit[] = [];
    if (this.#pendingNal >= 0 && !this.#classify(this.#pendingNal, this.#pendingNalHeader, out)) {
      return out;
    }
    const buf = this.#buf;
    // A start code is 00 00 01; stop 2 bytes early so one split across chunks is found next time.
    for (let i = this.#scan; i + 2 < this.#len; i++) {
      if (buf[i + 2]! > 1) {
        i += 2;
        continue;
      }
      if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) continue;
      // A four-byte start code's leading zero belongs to the NAL it introduces.
      const start = i > 0 && buf[i - 1] === 0 ? i - 1 : i;
      const header = i + 3;
      this.#scan = header;
      if (!this.#classify(start, header, out)) return out;
      // Emitting a unit moved the buffer: resume from where the scan now stands.
      i = this.#scan - 1;
    }
    this.#scan = Math.max(this.#scan, this.#len - 2);
    return out;
  }

  /**
   * Ends the stream: returns the last access unit, if any, and resets the splitter.
   *
   * @returns zero or one access unit
   */
  flush(): AccessUnit[] {
    const out: AccessUnit[] = [];
    if (this.#sawVcl) out.push(this.#emit(this.#len));
    this.#len = 0;
    this.#scan = 0;
    this.#pendingNal = -1;
    this.#reset();
    return out;
  }

  /** Classifies the NAL at `start`; false when its header is not all here yet. */
  #classify(start: number, header: number, out: AccessUnit[]): boolean {
    const kind = nalKind(this.#codec, this.#buf.subarray(header, Math.min(this.#len, header + 3)));
    if (!kind) {
      this.#pendingNal = start;
      this.#pendingNalHeader = header;
      return false;
    }
    this.#pendingNal = -1;
    if (this.#sawVcl && (kind.startsUnit || kind.firstSlice)) {
      out.push(this.#emit(start));
      this.#scan = header - start;
    }
    if (kind.vcl) this.#sawVcl = true;
    if (kind.keyframe) this.#keyframe = true;
    if (kind.sps) this.#parameterSets = true;
    return true;
  }

  /** Cuts bytes [0, end) off as one access unit and moves the rest to the front. */
  #emit(end: number): AccessUnit {
    const unit = {
      data: this.#buf.slice(0, end),
      keyframe: this.#keyframe,
      parameterSets: this.#parameterSets,
    };
    this.#buf.copyWithin(0, end, this.#len);
    this.#len -= end;
    this.#scan = Math.max(0, this.#scan - end);
    this.#reset();
    return unit;
  }

  #reset(): void {
    this.#sawVcl = false;
    this.#keyframe = false;
    this.#parameterSets = false;
  }

  #append(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      let size = this.#buf.length;
      while (size < this.#len + chunk.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }
}

const AUD: Record<AnnexBCodec, Uint8Array> = {
  // nal_unit_type 9, primary_pic_type 7 (any), stop bit.
  h264: new Uint8Array([0, 0, 0, 1, 0x09, 0xf0]),
  // nal_unit_type 35, layer 0, tid 1; pic_type 2 (any), stop bit.
  h265: new Uint8Array([0, 0, 0, 1, 0x46, 0x01, 0x50]),
};

/**
 * Moves an access unit's delimiter to its end: drops a leading AUD and appends one. A parser
 * downstream (ffmpeg reading the stream from a pipe) then knows the picture is complete as soon
 * as it has it, instead of one picture later when the next one starts. The bytes stay a valid
 * stream: each AUD still opens the access unit that follows it.
 *
 * @param data one access unit as the splitter returned it
 * @param codec its codec
 * @returns the unit without a leading AUD, followed by an AUD
 * @example
 * ```ts
 * closeAccessUnit(unit.data, "h264"); // [...unit bytes, 0, 0, 0, 1, 0x09, 0xf0]
 * ```
 */
export function closeAccessUnit(data: Uint8Array, codec: AnnexBCodec): Uint8Array {
  let start = 0;
  const zeros = data[2] === 1 ? 3 : data[3] === 1 ? 4 : 0;
  if (zeros > 0) {
    const kind = nalKind(codec, data.subarray(zeros, zeros + 3));
    const type = codec === "h264" ? data[zeros]! & 0x1f : (data[zeros]! >> 1) & 0x3f;
    if (kind && type === (codec === "h264" ? 9 : 35)) {
      // Skip to the next start code.
      start = data.length;
      for (let i = zeros; i + 2 < data.length; i++) {
        if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
          start = i > 0 && data[i - 1] === 0 ? i - 1 : i;
          break;
        }
      }
    }
  }
  const aud = AUD[codec];
  const out = new Uint8Array(data.length - start + aud.length);
  out.set(data.subarray(start));
  out.set(aud, data.length - start);
  return out;
}
