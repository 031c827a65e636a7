"""File names of the course data, shared by the student loaders and the grader's data builder."""

TRAIN_IMAGES = "train-images-batch.npy"
TRAIN_LABELS = "train-labels-batch.npy"
VAL_IMAGES = "val-images-batch.npy"
VAL_LABELS = "val-labels-batch.npy"
TEST_IMAGES = "test-images-batch.npy"

TRAINVAL_FILES = (TRAIN_IMAGES, TRAIN_LABELS, VAL_IMAGES, VAL_LABELS)
TEST_FILES = (TEST_IMAGES,)

HIDDEN_DIR = "hidden"
HIDDEN_TEST_LABELS = "test-labels.npy"
MANIFEST = "manifest.json"

TRAINVAL_ZIP_GLOB = "cifar10_trainval_*.zip"
TEST_ZIP_GLOB = "cifar10_test_*.zip"

# Images per split, in the order the loaders expect them: (N, 32, 32, 3) uint8, labels (N,) int64.
IMAGE_SHAPE = (32, 32, 3)
NUM_CLASSES = 10


def trainval_zip_name(term: str) -> str:
    return f"cifar10_trainval_{term}.zip"


def test_zip_name(term: str) -> str:
    return f"cifar10_test_{term}.zip"
