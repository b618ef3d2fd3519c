"""Seed 002 (movie genres from poster + overview), the model exactly as published.

An overview branch -- a frozen word2vec Embedding (300-d, ``mask_zero=True``) -> LSTM(64,
return_sequences) -> LSTM(64) -> Dense(18, relu) -- and a poster branch -- four Conv2D/MaxPooling2D
blocks (32, 64, 128, 128 filters) -> Flatten -> Dropout -> Dense(512, relu) -- concatenated into
Dense(256) -> Dense(128) -> Dense(18, sigmoid), trained with binary crossentropy, Adam(0.001) and
``metrics=['accuracy']``.

Sizes the post does not print, chosen to be plausible for its data:

* posters: 150 x 100 x 3. TMDB posters have a 2:3 aspect ratio; the post only says "resized".
  With 3x3 valid convolutions and 2x2 pooling this gives a 7 x 4 x 128 = 3,584-wide Flatten.
* overviews: ``MAX_SEQUENCE_LENGTH = 100`` tokens, a vocabulary of 30,000 words (+1 for padding),
  300-d word2vec vectors (the post's ``embed_size`` for word2vec). Random vectors stand in for the
  word2vec matrix; the layer is frozen (``trainable=False``) as in the post.

API updates (same model): ``Adam(lr=0.001, decay=1e-5)`` is ``Adam(learning_rate=0.001)`` --
``lr`` is gone and Keras 3 / tf_keras's new optimizers reject ``decay``; ``input_length`` of
Embedding is dropped (Keras 3 removed it; the Input's shape carries it).

What fusiondoctor must say (case.toml): the model is CORRECT -- sigmoid + binary crossentropy is the
right multi-label head -- so no error-severity finding. The story's problem is the metric:

* FD206 (warning) at the sigmoid output: 'accuracy' is the only metric of an 18-way multi-label
  head (the post's "accuracy 0.79 while F1 is 0.33").
* FD103 (info) at the concatenate: Dense(512, relu) vs Dense(18, relu), unnormalized, 28.4x --
  above the 4x report threshold, below the 100x warning threshold.
"""

MAX_SEQUENCE_LENGTH = 100
VOCABULARY = 30_000 + 1
EMBED_SIZE = 300
POSTER_SHAPE = (150, 100, 3)
GENRES = 18


def build(keras):
    layers = keras.layers
    Input, Embedding, Dropout, LSTM, Dense = layers.Input, layers.Embedding, layers.Dropout, layers.LSTM, layers.Dense
    Conv2D, MaxPooling2D, Flatten, concatenate = layers.Conv2D, layers.MaxPooling2D, layers.Flatten, layers.concatenate

    lstm_input = Input(shape=(MAX_SEQUENCE_LENGTH,))
    x = Embedding(VOCABULARY, EMBED_SIZE, mask_zero=True, trainable=False)(lstm_input)
    x = Dropout(0.3)(x)
    x = LSTM(64, return_sequences=True)(x)
    x = Dropout(0.3)(x)
    x = LSTM(64)(x)
    x = Dropout(0.3)(x)
    lstm_out = Dense(18, activation="relu")(x)

    cnn_input = Input(shape=POSTER_SHAPE)
    y = Conv2D(32, (3, 3), activation="relu")(cnn_input)
    y = MaxPooling2D(2, 2)(y)
    y = Conv2D(64, (3, 3), activation="relu")(y)
    y = MaxPooling2D(2, 2)(y)
    y = Conv2D(128, (3, 3), activation="relu")(y)
    y = MaxPooling2D(2, 2)(y)
    y = Conv2D(128, (3, 3), activation="relu")(y)
    y = MaxPooling2D(2, 2)(y)
    y = Flatten()(y)
    y = Dropout(0.3)(y)
    cnn_out = Dense(512, activation="relu")(y)

    concat_inp = concatenate([cnn_out, lstm_out])
    z = Dense(256, activation="relu")(concat_inp)
    z = Dropout(0.3)(z)
    z = Dense(128, activation="relu")(z)
    z = Dropout(0.3)(z)
    output = Dense(GENRES, activation="sigmoid")(z)

    model = keras.Model(inputs=[cnn_input, lstm_input], outputs=[output])
    adam = keras.optimizers.Adam(learning_rate=0.001)
    model.compile(loss="binary_crossentropy", optimizer=adam, metrics=["accuracy"])
    return model
