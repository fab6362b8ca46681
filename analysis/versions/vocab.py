"""Vocabularies for the version detector and the naming taxonomy.

Two layers, both explainable:

* a small hand-curated core, written here as code (architecture families whose names hold digits, Gym/Atari/MuJoCo
  environments, datasets, languages, tasks, quantisation formats ...);
* a data-driven part built at run time from the public Hub data in `../shared/data/` (never copied into the repo):
  - architectures: `config.model_type` of the 2022 API snapshot (the transformers model types), the
    families of `timm/*` models and the classes of `*/tiny-random-<Class>` test models in the 2024 lists;
  - environments: `<Env>-v<N>` in the 2024 `reinforcement-learning` list, kept when at least 3 owners use it;
  - datasets: the `dataset:<name>` tags of the snapshots, named by at least 3 models.

Every id of the labelled naming set (`naming-labels/ptm-naming-elements.json`) is left out of every data-driven source,
so the evaluation never learns from its test set. The built vocabulary is cached under `output/` (git-ignored).
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from analysis.common.paths import REPO_ROOT, shared_dir

VOCAB_VERSION = 4  # bump when the build changes, to invalidate caches

# --- hand-curated core ------------------------------------------------------------------------------------------------

# Whole tokens (lower case, no separator) that are architecture or family names holding digits.
ARCH_TOKENS = set("""
wav2vec wav2vec2 w2v w2v2 w2v-bert data2vec speecht5 hubert unispeech unispeechsat wavlm xlsr mms
gpt2 gpt3 gptj gpt4all gptneo gptneox distilgpt2 dialogpt microgpt rugpt3 t5 mt5 byt5 umt5 longt5 flant5 mt0 codet5
codet5p bart mbart mbart50 m2m100 m2m nllb opus opusmt bert2bert roberta2roberta seq2seq text2text t2t pix2pix
pix2struct img2img txt2img text2img img2text vid2vid sd15 sd21 sd14 sd2 sdxl sd3 e5 bge m3 gte s2t s2s
mpnet minilm minilmv2 xlmr xlmroberta xlm100 xlm17 deberta debertav2 debertav3 ernie3 layoutlm layoutlmv2
layoutlmv3 layoutxlm lilt donut trocr
resnet resnetv2 resnext resnest wideresnet wide_resnet wrn se_resnet seresnet seresnext regnet regnetx regnety
resnet18 resnet26 resnet34 resnet50 resnet101 resnet152 resnet200 resnet50d resnet26d vgg vgg11 vgg13 vgg16 vgg19
densenet densenet121 densenet161 densenet169 densenet201 efficientnet efficientnetv2 efficientnet_b0 efficientformer
efficientformerv2 mobilenet mobilenetv1 mobilenetv2 mobilenetv3 mobilenets mobilenetsv3 mobilevit mobilevitv2
mobileone mnasnet ghostnet ghostnetv2 shufflenet shufflenetv2 squeezenet inception inceptionv3 inceptionv4
inception_v3 inception_v4 xception xception41 xception65 xception71 convnext convnextv2 convnext_v2 swin swinv2
swin2sr beit beitv2 deit deit3 dinov2 dino eva eva02 eva_02 cait xcit pvt pvtv2 pvt_v2 levit coat coatnet
maxvit fbnet fbnetv3 hrnet dla dla34 dla60 dla102 repvgg csp cspdarknet darknet darknet53 yolo yolov3 yolov4
yolov5 yolov6 yolov7 yolov8 yolov9 yolov10 yolov11 yolo11 yolox yolos detr dab-detr deformable-detr rtdetr
fasterrcnn maskrcnn retinanet ssd ssdlite deeplab deeplabv3 deeplabv3plus segformer mask2former maskformer
oneformer upernet unet unet2d sam vit clip blip blip2 instructblip llava git vqgan vqvae vq2d
stablelm stablecode starcoder starcoder2 santacoder codegen codegen2 codellama bloom bloomz opt pythia falcon
mpt rwkv rwkv4 mistral mixtral gemma gemma2 phi qwen baichuan chatglm internlm yi deepseek
""".split())

# Architecture and family words the naming taxonomy reads as its A element, beside the digit-holding `ARCH_TOKENS` and
# the data-driven vocabulary (`llama`, `bert`, `stable`, `diffusion`: not needed by the detector, which reads digits).
ARCH_NAME_WORDS = frozenset("""
llama vicuna falcon mpt mistral wizardlm wizardcoder guanaco airoboros pygmalion stable diffusion sd sdxl
controlnet whisper bert roberta gpt electra albert xlm distilbert distilroberta deberta bart t5 opus marian vit
swin clip blip yolo detr dialogpt bloom bloomz opt pythia starcoder codegen llava qwen baichuan chatglm internlm
gemma phi mixtral zephyr openchat orca hermes redpajama dolly koala alpaca stablelm ernie macbert biobert scibert
legalbert finbert bertweet camembert flaubert mbert xlnet longformer bigbird led pegasus mt minilm mpnet sentence
transformer transformers wav2vec2 hubert wavlm conformer speecht5 tacotron fastspeech vits hifigan segformer beit
deit convnext resnet efficientnet mobilenet regnet unet vae gan stylegan dreamshaper sam dino dinov2 mae videomae
timesformer layoutlm donut trocr rwkv mamba neox gptj santacoder mobilebert tinybert funnel reformer perceiver
canine byt5 mt5 flan ul2 gptneo neo
""".split())

# Architectures the taxonomy recognises inside a token (`chinese-roberta-wwm`, `mybertmodel`): anywhere, or only at its
# start for those under 3 letters.
ARCH_GLUED_WORDS = ("bert", "roberta", "gpt", "t5", "llama", "bart", "electra", "wav2vec", "whisper", "vit", "yolo",
                    "diffusion", "resnet", "deberta", "xlm", "mistral", "falcon", "bloom", "clip", "blip", "swin",
                    "convnext", "efficientnet", "mobilenet", "layoutlm", "minilm", "mpnet")

# Families whose "-vN" / "_vN" / "vN" suffix names an architecture generation (library model names), not a release.
ARCH_V_FAMILIES = set("""
mobilenet mobilenets inception pvt resnet efficientnet deeplab ghostnet mnasnet shufflenet squeezenet xception
convnext swin mobilevit layoutlm minilm mminilm dino beit yolo fbnet efficientformer hrnet regnet vgg densenet
rexnet tinynet lcnet hardcorenas mixnet semnasnet spnasnet darknet cspdarknet csp gernet repvit fastvit
""".split())

# Family name endings that mark an architecture when a version-like suffix is glued (`mvitv2`, `poolformerv2`).
ARCH_SUFFIXES = ("vit", "former", "net", "nets", "mixer", "mlp", "cnn", "rcnn", "darknet", "vgg")
# Digit-holding architecture tokens that other families embed at their end (`rut5`, `aragpt2`, `kcgpt2`, `idt5`).
ARCH_SUFFIX_TOKENS = ("t5", "gpt2", "gpt3", "wav2vec2", "mt5", "bart", "gptj")

# Families that number their releases with bare or glued integers (`Llama-2`, `llama2`, `kandinsky-2-1`,
# `stable-diffusion-2`): a digit after them is a version, not an architecture detail.
VERSIONED_FAMILIES = set("""
llama diffusion kandinsky dreamshaper deliberate openjourney midjourney waifu protogen realisticvision
chatglm baichuan qwen internlm mistral mixtral gemma phi falcon vicuna wizardlm codellama starcoder yi
dnabert stablelm pythia ernie norbert robbert robbertje xwin mpt bloomz airoboros zephyr
""".split())

# Families whose bare integer names an architecture generation, like `yolov8` or `gpt2` glued: `rwkv-4-7b-pile`,
# `gpt-2-medium`, `yolo-8`.
ARCH_INT_FAMILIES = set("""
rwkv gpt yolo
""".split())

# Families whose parameter counts are written with a dash for the decimal point: `opt-6-7b` (6.7B), `pythia-6-9b`,
# `gpt-neo-2-7b`.
SIZE_DASH_FAMILIES = set("""
opt pythia neo
""".split())

# Gym / Atari / MuJoCo / Box2D / PyBullet / panda-gym / ML-Agents environments (lower case, as written before -vN).
ENVIRONMENTS = set("""
lunarlander lunarlandercontinuous cartpole mountaincar mountaincarcontinuous acrobot pendulum frozenlake taxi
cliffwalking blackjack bipedalwalker bipedalwalkerhardcore carracing halfcheetah hopper walker2d ant humanoid
humanoidstandup swimmer reacher pusher invertedpendulum inverteddoublependulum
antbulletenv halfcheetahbulletenv hopperbulletenv walker2dbulletenv humanoidbulletenv reacherbulletenv
pandareach pandareachdense pandapush pandapushdense pandaslide pandaslidedense pandapickandplace
pandapickandplacedense pandastack pandastackdense pixelcopter pixelcopter-ple pong-ple flappybird-ple catcher-ple
pong pongnoframeskip breakout breakoutnoframeskip spaceinvaders spaceinvadersnoframeskip qbert qbertnoframeskip
seaquest seaquestnoframeskip beamrider beamridernoframeskip enduro enduronoframeskip mspacman mspacmannoframeskip
asteroids asteroidsnoframeskip montezumarevenge montezumarevengenoframeskip
adventure airraid alien amidar assault asterix atlantis bankheist battlezone berzerk bowling boxing carnival
centipede choppercommand crazyclimber defender demonattack doubledunk elevatoraction fishingderby freeway
frostbite gopher gravitar hero icehockey jamesbond journeyescape kangaroo krull kungfumaster namethisgame phoenix
pitfall pooyan privateeye riverraid roadrunner robotank skiing solaris stargunner surround tennis timepilot
tutankham upndown venture videopinball wizardofwor yarsrevenge zaxxon
fetchpickandplace fetchpush fetchreach fetchslide handmanipulateblock handmanipulateegg handmanipulatepen
handreach adroithanddoor adroithandhammer adroithandpen adroithandrelocate antmaze pointmaze
highway highwayfast parking roundabout intersection racetrack
assembly basketball binpicking boxclose buttonpresstopdown buttonpresstopdownwall buttonpress buttonpresswall
coffeebutton coffeepull coffeepush dialturn disassemble doorclose doorlock dooropen doorunlock drawerclose
draweropen faucetclose faucetopen handinsert handlepressside handlepress handlepullside handlepull leverpull
peginsertside pegunplugside pickoutofhole pickplace pickplacewall plateslideback plateslidebackside plateslideside
plateslide pushback pushwall reachwall shelfplace stickpull stickpush sweepinto windowclose windowopen
""".split())
# Environments named by a word that model names use for other things: highway-env's `merge-v0`, but
# `Yi-34B-200K-DARE-merge-v5` is the fifth release of a merged model. They are environments only right after the
# reinforcement-learning algorithm that was trained on them (`ppo-merge-v0`, `dqn_merge-v0`).
AGENT_ONLY_ENVIRONMENTS = frozenset({"merge"})
RL_ALGORITHMS = frozenset({"ppo", "dqn", "a2c", "sac", "td3", "ddpg", "trpo", "qrdqn", "tqc", "ars", "rppo", "her",
                           "crossq", "reinforce", "q", "qlearning", "dt", "impala", "apex", "r2d2", "muzero"})
# Suffixes of environment ids (`SpaceInvadersNoFrameskip`, `AntBulletEnv`, `Pong-ram`) stripped before the look-up.
ENV_SUFFIXES = ("ramnoframeskip", "ramdeterministic", "noframeskip", "deterministic", "bulletenv", "env", "ram",
                "dense", "sparse", "continuous", "hardcore")
ENV_PREFIXES = ("minigrid", "babyai", "procgen", "miniworld", "metaworld", "mujoco", "atari", "ale")

# Words that precede -vN in reinforcement-learning ids but are not environments.
_ENV_STOP = set("""
reinforce ppo a2c dqn sac td3 ddpg qlearning q model models test tests scratch agent ll ppo-ll lander lunar lake pole
slippery noslippery copter invaders landing training trained final new my
""".split())

# Datasets as they appear inside names (lower case); `dataset:` tags of the Hub add to these at run time.
DATASETS = set("""
squad squad2 squadv1 squadv2 squad_v2 xquad mlqa tydiqa nq natural_questions triviaqa hotpotqa
glue mnli qnli qqp rte sst sst2 sst-2 sst5 cola mrpc stsb wnli snli anli xnli boolq superglue
conll conll2002 conll2003 conll2012 ontonotes wnut wnut17 wikiann panx
imdb yelp amazon ag_news agnews dbpedia emotion tweeteval trec
xsum cnn cnndm cnn_dailymail samsum billsum multinews pubmed arxiv wikihow gigaword
wmt wmt14 wmt16 wmt19 opus100 iwslt flores
librispeech libri timit commonvoice common_voice cv cv7 cv8 cv9 cv10 cv11 cv13 voxpopuli fleurs mls
gigaspeech tedlium vctk ljspeech aishell wenetspeech
imagenet imagenet1k imagenet21k imagenet22k in1k in12k in21k in22k cifar cifar10 cifar100 mnist fashion_mnist
coco ade20k ade cityscapes voc pascal kitti lvis openimages laion laion2b laion400m
alpaca dolly oasst oasst1 sharegpt orca guanaco wizardlm ultrachat openhermes slimorca
funsd cord sroie docvqa rvlcdip vqa vqav2 gqa textvqa ssv2 kinetics ucf101 hmdb51 audioset esc50 ravdess
mimic pubmedqa bioasq medqa msmarco marco mmarco amr
""".split())

LANGUAGES = set("""
english french german spanish italian portuguese dutch russian chinese japanese korean arabic hindi bengali bangla
turkish persian farsi urdu indonesian vietnamese thai polish czech swedish norwegian danish finnish greek hebrew
hungarian romanian ukrainian catalan basque galician swahili tamil telugu marathi gujarati punjabi kannada
malayalam sinhala nepali tagalog filipino malay burmese khmer lao amharic yoruba hausa igbo zulu xhosa afrikaans
estonian latvian lithuanian slovak slovenian croatian serbian bulgarian macedonian albanian icelandic irish welsh
kazakh uzbek kyrgyz mongolian tibetan uyghur pashto sindhi somali kinyarwanda luganda wolof cantonese mandarin
taiwanese latin esperanto multilingual bilingual crosslingual kor eng jpn jp chn bahasa hinglish scandi
nordic indic kurdish java python javascript typescript cpp csharp golang
en fr de es it pt nl ru zh ja ko ar hi bn tr fa ur id vi th pl cs sv no nb nn da fi el he hu ro uk ca eu gl sw ta
te mr gu pa kn ml si ne tl ms my km lo am yo ha ig zu xh af et lv lt sk sl hr sr bg mk sq is ga cy kk uz ky mn
ps sd so rw lg wo la eo zh-cn zh-tw
""".split())

TASK_WORDS = set("""
classification classifier classify cls clf sentiment emotion emotions ner pos tagging tagger chunking srl
qa question answering answer squad-qa summarization summarize summarizer summary sum translation translate
translator mt generation generator gen text-generation chat chatbot instruct instruction instructions dialogue
dialog conversational assistant coder code codegen embedding embeddings encoder retrieval retriever reranker
rerank ranker similarity sts nli entailment paraphrase detection detector detect segmentation segment seg
captioning caption ocr asr stt tts speech recognition transcription diarization vad keyword spotting kws
vision depth pose tracking inpainting upscaler upscale super-resolution sr colorization denoising lm mlm clm
fill-mask mask zero-shot zeroshot few-shot sentence-similarity toxic toxicity hate offensive spam fake sarcasm
topic intent intents stance ranking recommendation punctuation correction spelling grammar gec
""".split())

REUSE_WORDS = set("""
finetuned finetune fine-tuned fine-tune ft tuned distilled distill distil lora qlora adapter adapters peft merged
merge dreambooth textual-inversion ti pruned prune pruning quantized compressed sparse ckpt-merge mixed mix
""".split())

TRAINING_WORDS = set("""
pretrained pretrain pre-trained pretraining sft dpo rlhf ppo-rlhf orpo kto rm reward mlm-pretrained continued
contrastive supervised unsupervised selfsupervised self-supervised adversarial domain-adapted adapted
deduped dedup instruct-tuned chat-tuned warmup trained
""".split())

SIZE_WORDS = set("""
tiny mini micro nano small base medium large xlarge xl xxl xxlarge huge giant big little lite light mega
""".split())

CHARACTERISTIC_WORDS = set("""
cased uncased lower lowercase uppercase accented unaccented whole-word-masking wwm 960h 100h 10h 1h clean noisy
normalized balanced augmented synthetic filtered deduplicated
""".split())

QUANT_WORDS = set("""
gptq awq gguf ggml ggjt exl2 exl3 hqq aqlm int2 int3 int4 int8 nf4 fp4 fp8 fp16 fp32 bf16 f16 f32 bnb
quantized quant 4bit 8bit 3bit 2bit 4-bit 8-bit w4a16 w8a8 w4a8 mlx onnx openvino ct2 marlin
""".split())


# --- data-driven part -------------------------------------------------------------------------------------------------

def data_dir() -> Path:
    return shared_dir() / "data"


LABELS_PATH = Path("naming-labels") / "ptm-naming-elements.json"


@lru_cache(maxsize=1)
def labelled_ids() -> frozenset[str]:
    """Every id of the labelled naming set: excluded from every data-driven vocabulary source."""
    p = data_dir() / LABELS_PATH
    if not p.exists():
        return frozenset()
    return frozenset(json.loads(p.read_text()))


def _sources() -> list[Path]:
    d = data_dir()
    out = [d / "hub-snapshots" / n for n in
           ("api-full-2022-02.jsonl.gz", "top-downloads-2024-09.csv.gz", "recent-2026-08.jsonl.gz")]
    out += sorted((d / "seed-2024-02" / "lists").glob("*.txt"))
    out.append(d / LABELS_PATH)
    return [p for p in out if p.exists()]


def _signature(paths: list[Path]) -> str:
    h = hashlib.sha1(str(VOCAB_VERSION).encode())
    for p in paths:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]




def _read_jsonl_gz(p: Path):
    with gzip.open(p, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def _norm(s: str) -> str:
    return s.strip().lower()


def _snapshot_vocab(d: Path, excluded: frozenset[str]) -> tuple[set[str], set[str]]:
    """Architectures (`config.model_type`) and datasets (`dataset:` tags named by at least 3 models; one-off user
    tags are too noisy) of the Hub snapshots."""
    arch: set[str] = set()
    snap = d / "hub-snapshots"
    ds_models: dict[str, set[str]] = defaultdict(set)

    def take_tags(tags, mid):
        for t in tags or []:
            t = _norm(str(t))
            if t.startswith("dataset:"):
                name = t.split(":", 1)[1].rsplit("/", 1)[-1]
                if 2 <= len(name) <= 40 and re.fullmatch(r"[a-z][a-z0-9_\-.]*", name):
                    ds_models[name].add(mid)

    p = snap / "api-full-2022-02.jsonl.gz"
    if p.exists():
        for row in _read_jsonl_gz(p):
            mid = row.get("modelId") or ""
            if mid in excluded:
                continue
            cfg = row.get("config") or {}
            mt = cfg.get("model_type") if isinstance(cfg, dict) else None
            if isinstance(mt, str) and 1 < len(mt) < 40:
                arch.add(_norm(mt))
            take_tags(row.get("tags"), mid)
    p = snap / "recent-2026-08.jsonl.gz"
    if p.exists():
        for row in _read_jsonl_gz(p):
            if row.get("id") in excluded:
                continue
            take_tags(row.get("tags"), row.get("id"))
    p = snap / "top-downloads-2024-09.csv.gz"
    if p.exists():
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("modelId") in excluded:
                    continue
                tags = re.findall(r"'([^']*)'", row.get("tags") or "")
                take_tags(tags, row.get("modelId"))
    return arch, {n for n, ms in ds_models.items() if len(ms) >= 3}


def _list_vocab(d: Path, excluded: frozenset[str]) -> tuple[set[str], set[str]]:
    """From the 2024 lists: architectures (timm families, tiny-random test classes) and RL environments (`<Env>-vN`
    used by at least 3 owners)."""
    arch: set[str] = set()
    envs: dict[str, set[str]] = defaultdict(set)
    lists = d / "seed-2024-02" / "lists"
    env_re = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:-[A-Z]{2,})?)[-_]v\d+")
    cls_re = re.compile(r"(?:For[A-Z]\w*|Model|LMHeadModel|Encoder|Decoder|Pipeline)$")
    for f in sorted(lists.glob("*.txt")) if lists.exists() else []:
        rl = f.stem == "reinforcement-learning"
        for line in f.read_text(encoding="utf-8").splitlines():
            mid = line.strip()
            if not mid or mid in excluded:
                continue
            owner, _, name = mid.rpartition("/")
            if owner == "timm":
                fam = re.split(r"[._]", name, maxsplit=1)[0].lower()
                if fam:
                    arch.add(fam)
            m = re.match(r"tiny-random-([A-Za-z0-9]+)$", name)
            if m:
                c = cls_re.sub("", m.group(1))
                if len(c) > 2:
                    arch.add(c.lower())
            if rl:
                for m in env_re.finditer(name):
                    envs[m.group(1).lower()].add(owner)
    env_found = {e for e, owners in envs.items() if len(owners) >= 3 and e not in _ENV_STOP
                 and not re.fullmatch(r"unit\d*|ppo.*|a2c.*|dqn.*", e)}
    return arch, env_found


def _build(excluded: frozenset[str]) -> dict:
    d = data_dir()
    arch, datasets = _snapshot_vocab(d, excluded)
    list_arch, env_found = _list_vocab(d, excluded)
    arch |= list_arch
    arch = {a for a in arch if a not in LANGUAGES and a not in SIZE_WORDS and a not in TASK_WORDS and len(a) > 1}
    return {"version": VOCAB_VERSION, "arch": sorted(arch), "environments": sorted(env_found),
            "datasets": sorted(datasets)}


def cache_path() -> Path:
    return Path(os.environ.get("HFCRAWL_OUTPUT", REPO_ROOT / "output")) / "cache" / "naming-vocab.json"


@lru_cache(maxsize=1)
def data_vocab() -> dict:
    """The data-driven vocabulary (built once from ../shared data, cached under output/). Empty without the data."""
    srcs = _sources()
    if not srcs:
        return {"version": VOCAB_VERSION, "arch": [], "environments": [], "datasets": [], "signature": ""}
    sig = _signature(srcs)
    cp = cache_path()
    try:
        cached = json.loads(cp.read_text())
        if cached.get("signature") == sig:
            return cached
    except (OSError, ValueError):
        pass
    v = _build(labelled_ids())
    v["signature"] = sig
    try:
        cp.parent.mkdir(parents=True, exist_ok=True)
        tmp = cp.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(v))
        tmp.replace(cp)
    except OSError:
        pass
    return v


def use_data() -> bool:
    return os.environ.get("HFCRAWL_NO_DATA_VOCAB", "") == ""


@lru_cache(maxsize=1)
def vocab() -> dict[str, frozenset[str]]:
    """Curated core + data-driven part, as lower-case sets."""
    dv = data_vocab() if use_data() else {"arch": [], "environments": [], "datasets": []}
    return {
        "arch": frozenset(ARCH_TOKENS | {a.replace("-", "").replace("_", "") for a in dv["arch"]}
                          | set(dv["arch"])),
        "environments": frozenset(ENVIRONMENTS | set(dv["environments"])),
        "datasets": frozenset(DATASETS | set(dv["datasets"])
                              | {x.replace("-", "").replace("_", "") for x in dv["datasets"]}),
    }
