"""The code of the notebook that CNN Explorer hands out (:mod:`cnn_core.notebook`), one constant
per step of the tutorial, each mirroring what the worker does so that the notebook's accuracy is
the app's:

- the accelerator: :func:`cnn_core.worker.accelerators.detect_accelerator` (TPU → GPU → CPU,
  falling back where the tutorial's check raised);
- the data and its preprocessing: :func:`cnn_core.datasets.preprocess` (the tutorial's cell [6])
  and :func:`cnn_core.worker.data.run_datasets` (the seeded hold-out, shuffle, batch, the flip);
- compile and train: :func:`cnn_core.worker.models.compile_model`, the cosine schedule of
  :func:`cnn_core.training_config.schedule_factor`, :mod:`cnn_core.worker.fit_loop` and
  :mod:`cnn_core.worker.custom_loop` (exercise 3), checkpoints every N epochs (exercise 4).

The cells read their settings from the notebook's parameters cell (SEED, EPOCHS, BATCH_SIZE, …)
and nothing else: they never import ``cnn_core``. Plain strings, so the server builds a notebook
without TensorFlow.
"""

from __future__ import annotations

LIBRARIES = """\
import os

import keras  # the public Keras 3 API (the tutorial's tensorflow.python.keras is private)
import matplotlib.pyplot as plt  # to plot
import numpy as np  # to work with arrays
import tensorflow as tf  # the backend Keras runs on

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
keras.utils.set_random_seed(SEED)  # Python's, NumPy's and TensorFlow's random numbers
"""

ACCELERATOR = """\
def find_tpu():
    \"\"\"A TPU when this runtime has one, else None. The tutorial's check raised an error
    without a TPU; this one lets the cell fall back to a GPU, then the CPU.\"\"\"
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()  # TPU detection
        resolver.cluster_spec()  # raises when no TPU is attached
        return resolver
    except Exception:  # ValueError, RuntimeError, NotFoundError…: no TPU here
        return None


tpu = find_tpu()
gpus = tf.config.list_physical_devices("GPU")
if tpu is not None:
    tf.config.experimental_connect_to_cluster(tpu)
    tf.tpu.experimental.initialize_tpu_system(tpu)
    strategy = tf.distribute.TPUStrategy(tpu)
    print(f"Running on a TPU with {strategy.num_replicas_in_sync} cores")
elif len(gpus) > 1:
    strategy = tf.distribute.MirroredStrategy()  # each GPU trains on its share of every batch
    print(f"Running on {len(gpus)} GPUs")
elif gpus:
    strategy = tf.distribute.OneDeviceStrategy("/gpu:0")
    print("Running on a GPU")
else:
    strategy = tf.distribute.get_strategy()  # the default strategy: the CPU
    print("Running on the CPU (no TPU or GPU: in Colab, Runtime → Change runtime type)")
"""

UPLOAD = """\
# In Colab, choose your .npz when the file chooser appears under this cell; in Jupyter, put
# the file next to this notebook or set DATA_FILE to its path in the settings cell.
if DATA_FILE is not None and not os.path.exists(DATA_FILE):
    try:
        from google.colab import files  # there only in Colab
    except ImportError:
        raise FileNotFoundError(
            f"There is no file {DATA_FILE}: put your .npz next to this notebook, "
            "or set DATA_FILE to its path in the settings cell."
        ) from None
    uploaded = files.upload()  # asks for the file
    DATA_FILE = next(iter(uploaded))
print(f"Data: {DATA_FILE or 'the Keras download'}")
"""

# CLASS_NAMES (a dict of the datasets' class names) is written above this by the builder.
LOAD = """\
class_names = CLASS_NAMES[DATASET]

if DATA_FILE is None:
    # Keras downloads it once (11 MB for MNIST, 30 MB for Fashion-MNIST), then reads its cache.
    dataset = getattr(keras.datasets, DATASET)
    (train_images, train_labels), (test_images, test_labels) = dataset.load_data()
else:
    with np.load(DATA_FILE, allow_pickle=False) as npz:  # the Keras layout
        train_images, train_labels = npz["x_train"], npz["y_train"]
        test_images, test_labels = npz["x_test"], npz["y_test"]
    # (N, 28, 28, 1) images or (N, 1) labels are the same data with one more axis.
    train_images = train_images.reshape(-1, 28, 28).astype(np.uint8)
    test_images = test_images.reshape(-1, 28, 28).astype(np.uint8)
    train_labels, test_labels = train_labels.reshape(-1), test_labels.reshape(-1)

print(f"Train Images:{train_images.shape}")
print(f"Train Labels:{len(train_labels)}")
print(f"Test Images:{test_images.shape}")
print(f"Test Labels:{len(test_labels)}")
"""

SAMPLES = """\
plt.figure(figsize=(10, 10))
# 36 different images at random (the tutorial's np.random.choice may pick one twice)
random_inds = np.random.default_rng(SEED).choice(len(train_images), 36, replace=False)
for i, image_ind in enumerate(random_inds):
    plt.subplot(6, 6, i + 1)
    plt.xticks([])
    plt.yticks([])
    plt.grid(False)
    # a binary colour map: ink black on white paper
    plt.imshow(train_images[image_ind], cmap=plt.cm.binary)
    plt.xlabel(class_names[train_labels[image_ind]])
plt.tight_layout()
plt.show()
"""

PREPROCESS = """\
# From 0-255 to 0-1. These images are one grey channel (not RGB, as the tutorial says), so
# the channel axis added here has length 1: (N, 28, 28) → (N, 28, 28, 1).
train_images = (np.expand_dims(train_images, axis=-1) / 255.0).astype(np.float32)
train_labels = train_labels.astype(np.int64)
test_images = (np.expand_dims(test_images, axis=-1) / 255.0).astype(np.float32)
test_labels = test_labels.astype(np.int64)
"""

PIPELINE = """\
# A random share of the training images is held out to watch over-fitting (random, because
# the files are sorted by class).
n_val = min(round(len(train_labels) * VALIDATION_FRACTION), len(train_labels) - 1)
n_val = n_val if VALIDATION_FRACTION > 0 else 0
order = np.random.default_rng(SEED).permutation(len(train_labels))
fit_idx, val_idx = np.sort(order[n_val:]), np.sort(order[:n_val])
steps_per_epoch = -(-len(fit_idx) // BATCH_SIZE)  # ⌈N_train / B⌉: the last batch may be smaller


def pipeline(images, labels, shuffle):
    \"\"\"A tf.data pipeline (the tutorial's exercise 1): shuffle, batch, prefetch.\"\"\"
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:  # a new order every epoch, the same orders for the same SEED
        ds = ds.shuffle(len(labels), seed=SEED, reshuffle_each_iteration=True)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def flip_half(x, y):
    \"\"\"Mirror a random half of a batch left-right: a mirrored coat is still a coat.\"\"\"
    flip = tf.random.uniform([tf.shape(x)[0], 1, 1, 1]) < 0.5
    return tf.where(flip, tf.reverse(x, axis=[2]), x), y


train_ds = pipeline(train_images[fit_idx], train_labels[fit_idx], shuffle=True)
if AUGMENT == "flip":  # training images only, never validation or test ones
    train_ds = train_ds.map(flip_half, num_parallel_calls=tf.data.AUTOTUNE)
val_ds = pipeline(train_images[val_idx], train_labels[val_idx], shuffle=False) if n_val else None
test_ds = pipeline(test_images, test_labels, shuffle=False)
print(
    f"{len(fit_idx):,} training images in {steps_per_epoch} batches of up to {BATCH_SIZE}, "
    f"{n_val:,} for validation, {len(test_labels):,} for the test"
)
"""

COMPILE = """\
# Built again under the strategy, so that its weights live on the TPU's or GPUs' devices,
# from the seed, so that it starts from the weights your run in CNN Explorer started from.
keras.utils.set_random_seed(SEED)
if SCHEDULE == "cosine":  # η·½(1 + cos(π·step/steps)): from η down to 0 over the run
    total_steps = EPOCHS * steps_per_epoch
    learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=total_steps)
else:
    learning_rate = LEARNING_RATE
optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
with strategy.scope():
    model = create_model()
    # Keywords: the tutorial's positional compile(optimizer, loss, metrics) puts the metrics
    # into loss_weights under Keras 3 and fails.
    model.compile(
        optimizer=optimizers[OPTIMIZER](learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
print(f"{model.count_params():,} parameters")
"""

CHECKPOINTS = """\
def save_checkpoint(epoch):
    \"\"\"Exercise 4: the whole model every CHECKPOINT_EVERY epochs (0: never), to resume from.\"\"\"
    if CHECKPOINT_EVERY and epoch % CHECKPOINT_EVERY == 0:
        os.makedirs("checkpoints", exist_ok=True)
        model.save(f"checkpoints/epoch-{epoch:03d}.keras")
        print(f"Saved checkpoints/epoch-{epoch:03d}.keras")


"""

FIT = """\
fit = model.fit(
    train_ds,
    epochs=EPOCHS,
    validation_data=val_ds,
    callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: save_checkpoint(epoch + 1))],
)
history = fit.history  # loss, accuracy (and val_loss, val_accuracy) per epoch
"""

CUSTOM_LOOP = """\
with strategy.scope():
    model.optimizer.build(model.trainable_variables)  # before tf.function traces the step


def replica_step(x, y, global_batch):
    \"\"\"One step of gradient descent on one replica's share of a batch.\"\"\"
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        per_image = keras.losses.sparse_categorical_crossentropy(y, probs)
        # Each replica divides its sum by the whole batch: the replicas' summed gradients are
        # then the batch's mean gradient, as on one device.
        loss = tf.nn.compute_average_loss(per_image, global_batch_size=global_batch)
    grads = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
    hits = tf.cast(tf.equal(tf.argmax(probs, axis=-1), y), tf.float32)
    return tf.reduce_sum(per_image), tf.reduce_sum(hits), tf.cast(tf.shape(y)[0], tf.float32)


@tf.function
def train_step(iterator, global_batch):
    \"\"\"The next batch, split over the strategy's replicas: its summed loss, hits and images.\"\"\"
    x, y = next(iterator)
    per_replica = strategy.run(replica_step, args=(x, y, global_batch))
    return [strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in per_replica]


history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
dist_ds = strategy.experimental_distribute_dataset(train_ds)
for epoch in range(EPOCHS):
    iterator = iter(dist_ds)
    loss_sum = hits_sum = seen = 0.0
    for step in range(steps_per_epoch):
        images = min(BATCH_SIZE, len(fit_idx) - step * BATCH_SIZE)  # the last batch may be smaller
        loss, hits, n = (float(v) for v in train_step(iterator, tf.constant(images, tf.int32)))
        loss_sum, hits_sum, seen = loss_sum + loss, hits_sum + hits, seen + n
    history["loss"].append(loss_sum / seen)
    history["accuracy"].append(hits_sum / seen)
    line = f"Epoch {epoch + 1}/{EPOCHS}: loss {loss_sum / seen:.4f}, accuracy {hits_sum / seen:.4f}"
    if val_ds is not None:
        val = model.evaluate(val_ds, verbose=0, return_dict=True)
        history["val_loss"].append(val["loss"])
        history["val_accuracy"].append(val["accuracy"])
        line += f", validation accuracy {val['accuracy']:.4f}"
    print(line)
    save_checkpoint(epoch + 1)
"""

LEARNING_CURVE = """\
epochs_i = np.arange(1, len(history["loss"]) + 1)
fig = plt.figure(figsize=(10, 4.5))
ax = fig.add_subplot(111)  # the tutorial's add_subplot('111') needs a number in matplotlib 3
ax_twin = ax.twinx()
accuracy = np.array(history["accuracy"]) * 100
lines = ax.plot(epochs_i, accuracy, color="k", marker="o", label="training accuracy")
lines += ax_twin.plot(epochs_i, history["loss"], color="#D55E00", marker="s", label="training loss")
if history.get("val_loss"):  # dashed: the held-out images
    val_accuracy = np.array(history["val_accuracy"]) * 100
    lines += ax.plot(epochs_i, val_accuracy, "k--", marker="o", label="validation accuracy")
    val_loss = history["val_loss"]
    lines += ax_twin.plot(epochs_i, val_loss, "--", color="#D55E00", marker="s", label="validation loss")
ax.set_xlabel("Epochs [-]")
ax.set_ylabel("Accuracy [%]")
ax_twin.set_ylabel("Loss [-]")
ax.legend(lines, [line.get_label() for line in lines], loc="center right", frameon=False)
plt.tight_layout()
plt.show()
"""

TEST = """\
test = model.evaluate(test_ds, verbose=0, return_dict=True)
print(f"Test accuracy {test['accuracy']:.4f}, loss {test['loss']:.4f} on {len(test_labels):,} images")
"""

PREDICTIONS = """\
predictions = model.predict(test_images, batch_size=BATCH_SIZE, verbose=0)
BLUE, VERMILLION = "#0072B2", "#D55E00"  # colour-blind-safe: right answers blue, mistakes vermillion


def plot_image(i, predictions_array, true_label, img):
    plt.grid(False)
    plt.xticks([])
    plt.yticks([])
    plt.imshow(img[i], cmap=plt.cm.binary)
    predicted_label = np.argmax(predictions_array)
    right = predicted_label == true_label[i]
    mark = "✓" if right else "✗"  # says right or wrong without the colour too
    plt.xlabel(
        f"{mark} {class_names[predicted_label]} {100 * np.max(predictions_array):2.0f}% "
        f"({class_names[true_label[i]]})",
        color=BLUE if right else VERMILLION,
    )


def plot_value_array(i, predictions_array, true_label):
    plt.grid(False)
    plt.xticks(range(len(class_names)))
    plt.yticks([])
    bars = plt.bar(range(len(class_names)), predictions_array, color="#777777")
    plt.ylim([0, 1])
    bars[np.argmax(predictions_array)].set_color(VERMILLION)
    bars[true_label[i]].set_color(BLUE)


num_rows, num_cols = 5, 3
plt.figure(figsize=(2 * 2 * num_cols, 2 * num_rows))
for i in range(num_rows * num_cols):
    plt.subplot(num_rows, 2 * num_cols, 2 * i + 1)
    plot_image(i, predictions[i], test_labels, np.squeeze(test_images, axis=-1))
    plt.subplot(num_rows, 2 * num_cols, 2 * i + 2)
    plot_value_array(i, predictions[i], test_labels)
plt.tight_layout()
plt.show()
"""

SAVE = """\
model.save("model.keras")  # the same kind of file as the Training page's download
print("Saved model.keras")
"""
