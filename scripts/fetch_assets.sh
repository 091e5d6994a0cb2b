#!/usr/bin/env bash
# Fetches the large files Vigil's detectors and tests need and that never go in git:
#   assets/media/   test images and video from Debian packages (opencv-doc, python3-skimage)
#   assets/models/  centernet.onnx + coco_labels.txt, converted from npm @vladmandic/human
#                   (whose TF.js model is kept in assets/models/tfjs/), and centernet-int8.onnx,
#                   its int8 quantisation calibrated on the test media
# Idempotent: files already present are kept, and a run with nothing to do prints nothing.
# Works from any clone: paths are relative to this script's repository.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEDIA="$ROOT/assets/media"
MODELS="$ROOT/assets/models"
HUMAN_VERSION="3.3.6"

TMP=""
cleanup() { if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT

tmpdir() {
  if [[ -z "$TMP" ]]; then TMP="$(mktemp -d)"; fi
}

# apt_extract PACKAGE: downloads the .deb (no install, no root needed for the files) and unpacks it
# under $TMP/PACKAGE. `apt-get update` only when the package lists are stale.
apt_extract() {
  local pkg="$1"
  tmpdir
  mkdir -p "$TMP/$pkg"
  if ! (cd "$TMP" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
    apt-get update -qq >/dev/null
    (cd "$TMP" && apt-get download -qq "$pkg" >/dev/null)
  fi
  dpkg-deb -x "$TMP"/"$pkg"_*.deb "$TMP/$pkg"
}

# copy_from PACKAGE DIR FILE...: copies the missing FILEs from DIR inside PACKAGE to assets/media.
copy_from() {
  local pkg="$1" dir="$2"
  shift 2
  local missing=()
  for f in "$@"; do [[ -s "$MEDIA/$f" ]] || missing+=("$f"); done
  if [[ ${#missing[@]} -eq 0 ]]; then return; fi
  apt_extract "$pkg"
  mkdir -p "$MEDIA"
  for f in "${missing[@]}"; do
    cp "$TMP/$pkg/$dir/$f" "$MEDIA/$f.part"
    mv "$MEDIA/$f.part" "$MEDIA/$f"
    echo "fetch_assets: $MEDIA/$f"
  done
}

copy_from opencv-doc usr/share/doc/opencv-doc/examples/data vtest.avi messi5.jpg
copy_from python3-skimage usr/lib/python3/dist-packages/skimage/data \
  astronaut.png chelsea.png coffee.png motorcycle_left.png

# The TF.js source model is kept next to the ONNX one: the converter test compares the two.
TFJS="$MODELS/tfjs"
if [[ ! -s "$TFJS/centernet.json" || ! -s "$TFJS/centernet.bin" || ! -s "$TFJS/labels.ts" ]]; then
  tmpdir
  mkdir -p "$TMP/human" "$TFJS"
  tarball="$(cd "$TMP/human" && npm pack --silent "@vladmandic/human@$HUMAN_VERSION" | tail -n 1)"
  tar -xzf "$TMP/human/$tarball" -C "$TMP/human" \
    package/models/centernet.json package/models/centernet.bin package/src/object/labels.ts
  cp "$TMP/human/package/models/centernet.json" "$TMP/human/package/models/centernet.bin" \
    "$TMP/human/package/src/object/labels.ts" "$TFJS/"
  echo "fetch_assets: $TFJS (@vladmandic/human@$HUMAN_VERSION)"
fi

# Converted again when the stamp is older than the converter's format (any batch and input size).
if [[ ! -s "$MODELS/centernet.onnx" || ! -s "$MODELS/coco_labels.txt" ||
  "$(cat "$MODELS/centernet.format" 2>/dev/null)" != "dynamic-nhwc" ]]; then
  (cd "$ROOT" && deno run -A scripts/convert_centernet.ts --model "$TFJS/centernet.json" \
    --labels "$TFJS/labels.ts" --out "$MODELS" >/dev/null)
  echo "fetch_assets: $MODELS/centernet.onnx, $MODELS/coco_labels.txt"
fi

# The int8 model, made again when the fp32 one is newer or the stamp is not the quantiser's
# current format (INT8_FORMAT in scripts/convert/quantize_centernet.ts).
if [[ ! -s "$MODELS/centernet-int8.onnx" || "$MODELS/centernet.onnx" -nt "$MODELS/centernet-int8.onnx" ||
  "$(cat "$MODELS/centernet-int8.format" 2>/dev/null)" != "qdq-u8s8-p9999" ]]; then
  # A stale int8 model must not outlive a failed run next to a newer fp32 one.
  rm -f "$MODELS/centernet-int8.onnx" "$MODELS/centernet-int8.format"
  (cd "$ROOT" && deno run -A scripts/convert/quantize_centernet.ts --model "$MODELS/centernet.onnx" \
    --media "$MEDIA" --out "$MODELS/centernet-int8.onnx" >/dev/null)
  echo "fetch_assets: $MODELS/centernet-int8.onnx"
fi
