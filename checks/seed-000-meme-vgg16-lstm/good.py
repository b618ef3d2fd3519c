"""Seed 000, corrected: the merged model of bad.py with the two fixes the story calls for.

* ``output_layer`` is ``Dense(1, activation='sigmoid')``: one sigmoid unit is the probability of
  the positive class (the fix for FD101).
* Each branch passes through BatchNormalization before the concatenation, as in the accepted
  answer, so neither branch's scale dominates the fused features (the fix for FD103).

Everything else is the post's model. Expected: no findings.
"""


def build(keras):
    layers, models, regularizers = keras.layers, keras.models, keras.regularizers
    image_size = 224

    input_tensor = layers.Input(shape=(image_size, image_size, 3))
    vgg_model = keras.applications.VGG16(input_tensor=input_tensor, weights=None, include_top=False)
    for layer in vgg_model.layers:
        layer.trainable = False

    l2_strength = 1e-5
    dropout_prob = 0.5

    x = vgg_model.output
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu", kernel_regularizer=regularizers.l2(l2_strength))(x)
    x = layers.Dropout(dropout_prob)(x)
    x = layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(l2_strength))(x)
    x = layers.BatchNormalization(name="image_bn")(x)

    vgg_model = models.Model(vgg_model.input, x)

    input_text = layers.Input(shape=(1, 512))
    x = layers.LSTM(32, dropout=0.5, name="LTSM")(input_text)
    x = layers.Dense(10, kernel_initializer="normal", activation="relu")(x)
    x = layers.BatchNormalization(name="text_bn")(x)

    text_model = models.Model(input_text, x)

    x = layers.concatenate([vgg_model.output, text_model.output])
    out = layers.Dense(1, activation="sigmoid", name="output_layer")(x)

    merged_model = models.Model([vgg_model.input, text_model.input], out)
    merged_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return merged_model
