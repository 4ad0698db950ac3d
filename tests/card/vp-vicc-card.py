#!/usr/bin/python3
# vp-vicc-card.py: a utility meter card for the PC/SC tests, emulated by
# vsmartcard-vpicc (the same VirtualICC and ISO 7816 OS as `vicc -t
# iso7816`) and connected to vpcd: an MF holding the transparent meter
# file A001 of 496 bytes. The file's content is kept in --image after
# every UPDATE BINARY, so a card "pulled" (this process stopped) keeps
# what reached it, like an EEPROM. --die-after-updates N stops the card
# (os._exit) when the N-th UPDATE BINARY arrives, before it is applied.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import os
import sys

# Debian's python3-virtualsmartcard installs outside sys.path (the vicc
# script has the same problem); look where the package puts it.
for d in ("/usr/lib/python3/site-packages/virtualsmartcard",
          "/usr/local/lib/python3/site-packages/virtualsmartcard"):
    if os.path.isdir(os.path.join(d, "virtualsmartcard")):
        sys.path.insert(0, d)

# virtualsmartcard imports PyCrypto's "Crypto" at load time (not needed
# for an ISO 7816 file card); Debian ships PyCryptodome as "Cryptodome"
# (python3-pycryptodome), a drop-in replacement.
try:
    import Crypto  # noqa: F401
except ImportError:
    try:
        import Cryptodome
        sys.modules["Crypto"] = Cryptodome
    except ImportError:
        sys.stderr.write("vp-vicc-card: needs python3-pycryptodome for virtualsmartcard\n")
        sys.exit(77)

try:
    from virtualsmartcard.VirtualSmartcard import VirtualICC  # noqa: E402
except ImportError as e:
    sys.stderr.write("vp-vicc-card: vsmartcard-vpicc is not usable: %s\n" % e)
    sys.exit(77)
from virtualsmartcard.SmartcardFilesystem import TransparentStructureEF  # noqa: E402

SIZE = 496
FID = 0xA001

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--image", required=True)
ap.add_argument("--die-after-updates", type=int, default=0)
ap.add_argument("--no-file", action="store_true",
                help="a plain ISO 7816 card without the meter file (not a utility card)")
args = ap.parse_args()

if os.path.exists(args.image):
    with open(args.image, "rb") as f:
        content = f.read()
else:
    content = bytes(SIZE)
assert len(content) == SIZE, "card image must be %d bytes" % SIZE

import logging  # noqa: E402
vicc = VirtualICC(None, "iso7816", "localhost", args.port, logginglevel=logging.WARNING)
mf = vicc.os.mf
ef = TransparentStructureEF(parent=mf, fid=FID, data=content)
if not args.no_file:
    mf.append(ef)

# vicc 0.8 compares Le None > int for a case 3 APDU (UPDATE BINARY has no
# Le) under Python 3 and dies; a real card answers 90 00. Treat no Le as 0.
format_result = vicc.os.formatResult


def format_result_no_le(seekable, le, data, sw, sm):
    return format_result(seekable, 0 if le is None else le, data, sw, sm)


vicc.os.formatResult = format_result_no_le

update = vicc.os.ins2handler[0xD6]
count = [0]


def persist():
    tmp = args.image + ".tmp"
    with open(tmp, "wb") as f:
        f.write(ef.data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, args.image)


def update_and_persist(p1, p2, data):
    count[0] += 1
    if args.die_after_updates and count[0] >= args.die_after_updates:
        sys.stderr.write("vp-vicc-card: card pulled at UPDATE BINARY %d\n" % count[0])
        os._exit(0)
    result = update(p1, p2, data)
    persist()
    return result


vicc.os.ins2handler[0xD6] = update_and_persist
persist()
sys.stderr.write("vp-vicc-card: ready on port %d\n" % args.port)
sys.stderr.flush()
vicc.run()
