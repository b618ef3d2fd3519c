"""Healthy: one image, two heads: the age (regression, MAE) and the gender (binary, accuracy), metrics per output."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    face = keras.Input((48, 48, 3), name="face")
    x = layers.Conv2D(16, 3, activation="relu", name="c1")(face)
    x = layers.MaxPooling2D(name="p1")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="c2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(64, activation="relu", name="shared")(x)
    age = layers.Dense(1, name="age")(x)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = keras.Model(face, [age, gender])
    model.compile(optimizer="adam", loss={"age": "huber", "gender": "binary_crossentropy"},
                  metrics={"age": ["mae"], "gender": ["accuracy"]})
    return model
