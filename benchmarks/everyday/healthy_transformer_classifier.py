"""Healthy: a one-block Transformer text classifier (attention projections, residuals, LayerNorm, FFN)."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    tokens = keras.Input((24,), dtype="int32", name="tokens")
    x = layers.Embedding(2000, 32, name="embed")(tokens)
    attn = layers.MultiHeadAttention(num_heads=2, key_dim=16, name="mha")(x, x)
    x = layers.LayerNormalization(name="ln1")(layers.Add(name="res1")([x, attn]))
    ffn = layers.Dense(64, activation="relu", name="ffn1")(x)
    ffn = layers.Dense(32, name="ffn2")(ffn)
    x = layers.LayerNormalization(name="ln2")(layers.Add(name="res2")([x, ffn]))
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    out = layers.Dense(3, activation="softmax", name="label")(x)
    model = keras.Model(tokens, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
