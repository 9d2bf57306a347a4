"""Collection: beat -> fetched payloads -> parsed quotes -> matched, guarded, written prices."""
