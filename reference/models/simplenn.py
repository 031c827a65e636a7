"""SimpleNN of the ECE661 homework: LeNet's layout with narrower convs and a 3x3 second kernel."""

from .lenet import TwoStageConvNet

# Parameters, weights + biases:
#   conv1  3*8*5*5 + 8       =    608
#   conv2  8*16*3*3 + 16     =  1,168
#   fc1    576*120 + 120     = 69,240   (32-5+1=28 -> pool 14 -> 14-3+1=12 -> pool 6; 16*6*6 = 576)
#   fc2    120*84 + 84       = 10,164
#   fc3    84*10 + 10        =    850
#   total                    = 82,030   (+ 2*(8+16+120+84) = 456 with batch_norm)
SIMPLENN_PARAMETERS = 82_030


class SimpleNN(TwoStageConvNet):
    """ECE661 SimpleNN; the BatchNorm rule is LeNet-5's so the two BN ablations compare like with like."""

    def __init__(self, batch_norm: bool = False, activation: str = "relu", num_classes: int = 10) -> None:
        super().__init__((8, 16), (5, 3), batch_norm, activation, num_classes)
