"""Healthy: a small ResNet-style CNN (Conv without bias -> BatchNorm -> ReLU, residual adds) with SGD 0.1 and
momentum 0.9, the ImageNet recipe."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    image = keras.Input((32, 32, 3), name="image")
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, name="stem")(image)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    y = layers.Conv2D(16, 3, padding="same", use_bias=False, name="b1_conv1")(x)
    y = layers.BatchNormalization(name="b1_bn1")(y)
    y = layers.Activation("relu", name="b1_relu1")(y)
    y = layers.Conv2D(16, 3, padding="same", use_bias=False, name="b1_conv2")(y)
    y = layers.BatchNormalization(name="b1_bn2")(y)
    x = layers.Activation("relu", name="b1_out")(layers.Add(name="b1_add")([x, y]))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    out = layers.Dense(10, activation="softmax", name="classes")(x)
    model = keras.Model(image, out)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
