"""Sizes the services agree on because one request/reply carries them over the bus.

nats-server refuses a message over its ``max_payload`` (1 MiB by default, kept by the platform: local,
tests and Kubernetes), and a refused request is a server error for whoever asked. So an input that
crosses the bus in one request is bounded here, with room for the JSON, the headers (correlation id,
the caller's credential) and the reply.
"""

from __future__ import annotations

BUS_MAX_PAYLOAD = 1024 * 1024

# The catalogue CSV import (POST /api/v1/activities/import): a file of up to 70,000 activities and more, run as a
# background job in habilitation. The gateway sends it in parts, each one request to habilitation, base64-encoded
# (4/3 of its size, whatever its characters: JSON would escape an accented letter into 6 bytes), so a 512 KiB part
# becomes 683 KiB on the bus.
CATALOGUE_IMPORT_PART_BYTES = 512 * 1024
CATALOGUE_IMPORT_PARTS_MAX = 32
CATALOGUE_IMPORT_MAX_BYTES = CATALOGUE_IMPORT_PART_BYTES * CATALOGUE_IMPORT_PARTS_MAX  # 16 MiB
CATALOGUE_IMPORT_LIMIT = "16 Mo"
CATALOGUE_IMPORT_TOO_LARGE = (
    f"Fichier trop volumineux : {CATALOGUE_IMPORT_LIMIT} au plus ({CATALOGUE_IMPORT_MAX_BYTES} octets). "
    "Découpez-le en plusieurs fichiers, chacun avec la ligne d'en-tête, et importez-les l'un après l'autre "
    "(un fichier déjà importé peut l'être de nouveau sans effet)."
)
# The import's report travels back in one reply too: beyond this, the list of rejected lines is cut short.
CATALOGUE_IMPORT_REPORT_MAX_BYTES = 512 * 1024
