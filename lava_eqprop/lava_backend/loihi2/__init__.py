"""The EP update in Loihi 2's learning engine, run by Lava's stock LearningDense and
LearningSparse processes: the rule (:mod:`.rule`) and a LearningSparse model that supports the
tag the rule needs (:mod:`.sparse`)."""
