"""Local input files checked before anything is uploaded or paid: where they are, what they
hold (by content), their size, and for videos and voices their length and frame size."""
