#!/usr/bin/env python3
"""Builds the MCVD interop fixtures of packages/evdm/test/fixtures/mcvd with MCVD's own code.

Run by hand (tests never need Python), pointing at a checkout of voletiv/mcvd-pytorch:

    /usr/bin/python3 packages/evdm/tools/make_mcvd_fixtures.py --mcvd /path/to/mcvd-pytorch \
        --out packages/evdm/test/fixtures/mcvd

For each fixture it shrinks one of MCVD's shipped configs (few channels, 16x16 frames), builds the
network with MCVD's classes, gives every parameter random values, takes one optimiser step so the
model and EMA weights differ, and writes:
  <name>.yml            the shrunk config (every field of the shipped one kept)
  <name>.pt             [model state_dict ('module.' prefixes, as DataParallel writes), optimizer
                        state_dict, epoch, step, EMA state_dict], saved with torch.save as MCVD's runner
  <name>.io.safetensors inputs and MCVD's outputs (see write_io)

`--full-kth FILE` instead writes a random-weight checkpoint of the shipped KTH config (62.8 M params)
for timing the importer; it is not committed.
"""
import argparse
import collections
import json
import os
import struct
import sys
import types

import numpy as np
import torch
import yaml

FIXTURES = {
    # name: (shipped config, overrides of the model section)
    'smmnist': ('smmnist_DDPM_big5.yml', {'num_res_blocks': 1}),
    'kth': ('kth64_big.yml', {}),
    'bair': ('bair_big.yml', {'num_res_blocks': 1}),
    'smmnist-spade': ('smmnist_DDPM_big5_spade.yml', {'num_res_blocks': 1, 'spade_dim': 8}),
}
SMALL = {'ngf': 4, 'n_head_channels': 4}
IMAGE = 16
BATCH = 2
STEPS = 10


def import_mcvd(root):
    sys.path.insert(0, root)
    try:
        import tqdm  # noqa: F401  (MCVD imports it only for progress bars)
    except ImportError:
        stub = types.ModuleType('tqdm')
        stub.tqdm = lambda it=None, *a, **k: it
        sys.modules['tqdm'] = stub
    import models  # noqa: E402
    from models.better.ncsnpp_more import UNetMore_DDPM
    from models.ema import EMAHelper
    return models, UNetMore_DDPM, EMAHelper


class Namespace(types.SimpleNamespace):
    pass


def to_ns(d):
    return Namespace(**{k: to_ns(v) if isinstance(v, dict) else v for k, v in d.items()})


def randomise(model, gen):
    """Random values everywhere (MCVD's own init zeroes the last conv of each block and attention)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('.W'):  # NIN weight, [in, out]
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(p.shape[0]))
            elif p.dim() > 1:  # conv / linear [out, in, ...]
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(p.numel() / p.shape[0]))
            elif 'GroupNorm' in name or 'Norm_0' in name or name.endswith('.weight'):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))


def write_safetensors(path, tensors):
    """safetensors: u64 header length, JSON header, raw little-endian data (written here by hand)."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()  # (np.ascontiguousarray would make 0-d arrays 1-d)
        dtype = {np.float32: 'F32', np.int64: 'I64'}[a.dtype.type]
        b = a.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def shrink(cfg_dict, overrides):
    cfg = yaml.safe_load(yaml.safe_dump(cfg_dict))
    cfg['data']['image_size'] = IMAGE
    cfg['model'].update(SMALL)
    cfg['model'].update(overrides)
    cfg['sampling']['subsample'] = STEPS
    return cfg


def build(UNetMore_DDPM, cfg_dict):
    config = to_ns(cfg_dict)
    config.device = torch.device('cpu')
    return UNetMore_DDPM(config)


def sample_with_noise(sampler, net, x, cond, gen, **kw):
    """Runs MCVD's sampler with torch.randn_like drawing from `gen`; returns (out, draws)."""
    draws = []
    orig = torch.randn_like

    def fixed(t, *a, **k):
        z = torch.randn(t.shape, generator=gen)
        draws.append(z.clone())
        return z

    torch.randn_like = fixed
    try:
        out = sampler(x.clone(), net, cond=cond, final_only=True, denoise=True, subsample_steps=STEPS,
                      clip_before=True, verbose=False, log=False, **kw)
    finally:
        torch.randn_like = orig
    return out[-1], draws


def make_fixture(name, shipped, overrides, mcvd_root, out_dir, models, UNetMore_DDPM, EMAHelper, with_adam):
    gen = torch.Generator().manual_seed(1234 + sum(map(ord, name)))
    with open(os.path.join(mcvd_root, 'configs', shipped)) as f:
        cfg = shrink(yaml.safe_load(f), overrides)
    with open(os.path.join(out_dir, f'{name}.yml'), 'w') as f:
        f.write(f'# {shipped} of voletiv/mcvd-pytorch, shrunk by make_mcvd_fixtures.py\n')
        yaml.safe_dump(cfg, f, sort_keys=False)
    model = build(UNetMore_DDPM, cfg)
    randomise(model, gen)
    scorenet = torch.nn.DataParallel(model)  # CPU: a plain wrapper whose state_dict keys get 'module.'
    ema = EMAHelper(mu=cfg['model']['ema_rate'])
    ema.register(scorenet)
    optimizer = torch.optim.Adam(scorenet.parameters(), lr=1e-2)
    d = cfg['data']
    C, F, Fc = d['channels'], d['num_frames'], d['num_frames_cond']
    x = torch.randn(BATCH, C * F, IMAGE, IMAGE, generator=gen)
    cond = torch.randn(BATCH, C * Fc, IMAGE, IMAGE, generator=gen)
    labels = torch.tensor([3, 517], dtype=torch.int64)
    # one training step, then the EMA update: model and EMA weights now differ. Only the first
    # fixture keeps Adam's moments in the checkpoint (they triple its size and are never imported).
    if with_adam:
        loss = scorenet(x, labels, cond=cond).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    else:
        with torch.no_grad():
            for p in scorenet.parameters():
                p.add_(0.01 * torch.randn(p.shape, generator=gen))
    ema.update(scorenet)
    states = [scorenet.state_dict(), optimizer.state_dict(), 7, 1000, ema.state_dict()]
    torch.save(states, os.path.join(out_dir, f'{name}.pt'))

    model.eval()
    ema_net = ema.ema_copy(scorenet).module
    ema_net.eval()
    # p_mask conditioning as MCVD's conditioning_fn: masked samples get all-zero conditioning frames
    cond_mask = torch.tensor([1, 0], dtype=torch.int32)
    cond_masked = cond_mask.reshape(-1, 1, 1, 1) * cond
    with torch.no_grad():
        eps_ema = ema_net(x, labels, cond=cond)
        eps_model = model(x, labels, cond=cond)
        eps_masked = ema_net(x, labels, cond=cond_masked, cond_mask=cond_mask)
    x_T = torch.randn(BATCH, C * F, IMAGE, IMAGE, generator=gen)
    ddpm_out, ddpm_noise = sample_with_noise(models.ddpm_sampler, ema_net, x_T, cond, gen)
    ddim_out, ddim_noise = sample_with_noise(models.ddim_sampler, ema_net, x_T, cond, gen)
    assert len(ddpm_noise) == STEPS - 1 and not ddim_noise
    write_safetensors(os.path.join(out_dir, f'{name}.io.safetensors'), {
        'x': x, 'cond': cond, 'labels': labels, 'cond_masked': cond_masked,
        'eps_ema': eps_ema, 'eps_model': eps_model, 'eps_masked': eps_masked,
        'x_T': x_T, 'ddpm_noise': torch.stack(ddpm_noise), 'ddpm_out': ddpm_out, 'ddim_out': ddim_out,
    })
    n = sum(p.numel() for p in model.parameters())
    print(f'{name}: {n} params, {len(states[0])} model keys, {len(states[4])} EMA keys')


def read_safetensors(path):
    with open(path, 'rb') as f:
        b = f.read()
    n = struct.unpack('<Q', b[:8])[0]
    header, body = json.loads(b[8:8 + n]), b[8 + n:]
    dtypes = {'F32': np.float32, 'I64': np.int64}
    return {k: torch.from_numpy(np.frombuffer(body[v['data_offsets'][0]:v['data_offsets'][1]], dtype=dtypes[v['dtype']]).reshape(v['shape']).copy())
            for k, v in header.items() if k != '__metadata__'}


def check_export(path, name, fixtures, UNetMore_DDPM):
    """Loads an `evdm export --names mcvd` safetensors file into MCVD's network; compares with the fixture."""
    with open(os.path.join(fixtures, f'{name}.yml')) as f:
        net = build(UNetMore_DDPM, yaml.safe_load(f))
    missing, unexpected = net.load_state_dict(read_safetensors(path), strict=False)
    buffers = {n for n, _ in net.named_buffers()}
    assert not unexpected and set(missing) <= buffers, (missing, unexpected)
    io = read_safetensors(os.path.join(fixtures, f'{name}.io.safetensors'))
    net.eval()
    with torch.no_grad():
        eps = net(io['x'], io['labels'], cond=io['cond'])
    err = (eps - io['eps_ema']).norm() / io['eps_ema'].norm()
    print(f'{path}: loaded into MCVD {name} ({len(missing)} buffers left as built); rel L2 vs fixture {err.item():.2e}')


def make_dtypes(out_dir):
    """A torch.save file of every storage dtype, a strided view, an offset slice and a Parameter."""
    gen = torch.Generator().manual_seed(99)
    base = torch.randn(4, 6, generator=gen)
    tensors = collections.OrderedDict([
        ('f32', base[:2].clone()), ('f64', base[0].double()), ('f16', base[1].half()), ('bf16', base[2].bfloat16()),
        ('i64', torch.arange(-3, 3)), ('i32', torch.arange(-3, 3, dtype=torch.int32)), ('u8', torch.arange(0, 250, 50, dtype=torch.uint8)),
        ('bool', torch.tensor([True, False, True])), ('transposed', base.t()), ('offset_slice', base[2:]),
        ('param', torch.nn.Parameter(base[3].clone())), ('scalar', torch.tensor(2.5)),
    ])
    torch.save({'tensors': tensors, 'meta': (1, 2.5, 'x', None, True)}, os.path.join(out_dir, 'dtypes.pt'))
    write_safetensors(os.path.join(out_dir, 'dtypes.io.safetensors'),
                      {k: v.detach().float().contiguous() for k, v in tensors.items()})


def make_full_kth(path, mcvd_root, UNetMore_DDPM, EMAHelper):
    with open(os.path.join(mcvd_root, 'configs', 'kth64_big.yml')) as f:
        cfg = yaml.safe_load(f)
    model = build(UNetMore_DDPM, cfg)
    randomise(model, torch.Generator().manual_seed(7))
    scorenet = torch.nn.DataParallel(model)
    ema = EMAHelper(mu=0.999)
    ema.register(scorenet)
    optimizer = torch.optim.Adam(scorenet.parameters(), lr=2e-4)
    torch.save([scorenet.state_dict(), optimizer.state_dict(), 1, 1, ema.state_dict()], path)
    print(f'{path}: {sum(p.numel() for p in model.parameters())} params')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--mcvd', required=True, help='checkout of voletiv/mcvd-pytorch')
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'mcvd'))
    ap.add_argument('--full-kth', help='write only a full-size random KTH checkpoint to this file')
    ap.add_argument('--check-export', nargs=2, metavar=('FILE', 'FIXTURE'),
                    help='load an `evdm export --names mcvd` safetensors file of FIXTURE into MCVD and compare outputs')
    args = ap.parse_args()
    torch.set_num_threads(1)
    models, UNetMore_DDPM, EMAHelper = import_mcvd(os.path.abspath(args.mcvd))
    if args.check_export:
        check_export(args.check_export[0], args.check_export[1], args.out, UNetMore_DDPM)
        return
    if args.full_kth:
        make_full_kth(args.full_kth, args.mcvd, UNetMore_DDPM, EMAHelper)
        return
    os.makedirs(args.out, exist_ok=True)
    make_dtypes(args.out)
    for i, (name, (shipped, overrides)) in enumerate(FIXTURES.items()):
        make_fixture(name, shipped, overrides, args.mcvd, args.out, models, UNetMore_DDPM, EMAHelper, i == 0)


if __name__ == '__main__':
    main()
