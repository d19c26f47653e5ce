"""Golden files on disk: layout, case model, codec, the store, the secret scan."""
