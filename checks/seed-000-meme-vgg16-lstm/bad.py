"""Seed 000 (meme sexism, image + text), the merged model exactly as posted.

A frozen VGG16 image branch (224x224 RGB, ``include_top=False``) with a Flatten -> Dense(256) ->
Dropout -> Dense(64) head, and a text branch LSTM(32) -> Dense(10) on (1, 512) sentence vectors.
Both branches are ``Model`` objects built from tensors, then concatenated into
``Dense(1, activation='softmax', name='output_layer')`` trained with binary crossentropy.

The only change from the post: ``weights=None`` instead of ``'imagenet'`` (no downloads; the
layer graph and the saved config are the same). ``image_size`` is 224, VGG16's native size, which
gives the 85 MB h5 file of DESIGN.md section 8.

What fusiondoctor must say (case.toml):

* FD101 (error) at ``output_layer``: softmax over one unit is always 1.0, so accuracy is frozen at
  the positive rate (0.5 in the post) and the loss sits near 8 -- the story's root cause.
* FD103 (info) at the ``concatenate``: the image branch ends in Dense(64, relu) and the text branch
  in Dense(10, relu), both unnormalized; 64 / 10 = 6.4x is above the 4x report threshold and below
  the 100x warning threshold. The accepted answer's BatchNormalization addresses exactly this.

Nothing else: VGG16 has no BatchNormalization (no FD104), the backbone is frozen (no FD207), and
the single-unit head is not a multi-unit softmax/sigmoid (no FD203/FD206).
"""


def build(keras):
    layers, models, regularizers = keras.layers, keras.models, keras.regularizers
    image_size = 224

    # CNN
    input_tensor = layers.Input(shape=(image_size, image_size, 3))
    vgg_model = keras.applications.VGG16(input_tensor=input_tensor, weights=None, include_top=False)
    for layer in vgg_model.layers:
        layer.trainable = False

    l2_strength = 1e-5
    dropout_prob = 0.5

    x = vgg_model.output
    x = layers.Flatten(input_shape=vgg_model.output_shape[1:])(x)
    x = layers.Dense(256, activation="relu", kernel_regularizer=regularizers.l2(l2_strength))(x)
    x = layers.Dropout(dropout_prob)(x)
    x = layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(l2_strength))(x)

    vgg_model = models.Model(vgg_model.input, x)

    # LSTM
    input_text = layers.Input(shape=(1, 512))
    x = layers.LSTM(32, dropout=0.5, name="LTSM")(input_text)
    x = layers.Dense(10, kernel_initializer="normal", activation="relu")(x)

    text_model = models.Model(input_text, x)

    # MERGED
    x = layers.concatenate([vgg_model.output, text_model.output])
    out = layers.Dense(1, activation="softmax", name="output_layer")(x)

    merged_model = models.Model([vgg_model.input, text_model.input], out)

    merged_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return merged_model
