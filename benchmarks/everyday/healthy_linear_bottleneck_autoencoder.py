"""Healthy: a dense autoencoder whose 32-unit code layer is linear (a bottleneck), decoded to pixels in [0, 1]."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    inputs = keras.Input((784,), name="pixels")
    x = layers.Dense(128, activation="relu", name="enc")(inputs)
    code = layers.Dense(32, name="code")(x)
    x = layers.Dense(128, activation="relu", name="dec")(code)
    out = layers.Dense(784, activation="sigmoid", name="recon")(x)
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model
