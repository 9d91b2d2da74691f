"""A toy chip config written per test: small limits so that tiny nets need several cores."""

import pytest

TOY = """
[chip]
name = "toy"
[arithmetic]
weight_bits = 8
activation_bits = 8
state_bits = 24
state_frac_bits = 12
accumulator_bits = 24
[cores]
cores_per_chip = {cores_per_chip}
neurons_per_core = {neurons}
synaptic_memory_kib = {memory_kib}
input_axons_per_core = {input_axons}
output_axons_per_core = {output_axons}
cores_per_tile = {cores_per_tile}
mesh_columns = {mesh_columns}
[energy]
synaptic_op_pj = 2.0
synaptic_op_ns = 1.0
synaptic_update_pj = 10.0
synaptic_update_ns = 3.0
neuron_update_active_pj = 5.0
neuron_update_inactive_pj = 1.0
neuron_update_active_ns = 4.0
neuron_update_inactive_ns = 2.0
spike_in_tile_pj = 0.5
spike_in_tile_ns = 0.25
spike_hop_x_pj = 1.0
spike_hop_y_pj = 2.0
spike_hop_x_ns = 1.5
spike_hop_y_ns = 2.5
chip_crossing_pj = 7.0
chip_crossing_ns = 9.0
barrier_sync_min_ns = 100.0
barrier_sync_max_ns = 200.0
multi_chip_barrier_ns = 1000.0
[systems]
board = 2
"""


@pytest.fixture
def toy_chip(tmp_path):
    """``toy_chip(**limits)`` → a loaded ChipConfig with those limits (defaults generous)."""
    from lava_eqprop.chips.config import load_chip_config

    def make(neurons=64, memory_kib=4.0, input_axons=256, output_axons=256, cores_per_chip=4,
             cores_per_tile=2, mesh_columns=2):
        path = tmp_path / f"toy_{len(list(tmp_path.iterdir()))}.toml"
        path.write_text(TOY.format(neurons=neurons, memory_kib=memory_kib, input_axons=input_axons,
                                   output_axons=output_axons, cores_per_chip=cores_per_chip,
                                   cores_per_tile=cores_per_tile, mesh_columns=mesh_columns))
        return load_chip_config(path)
    return make
