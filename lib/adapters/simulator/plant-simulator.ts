import type { Quality, TagScalar, TagValue } from '../../model/tag-value';

/**
 * The built-in plant simulator of embedded mode: a small steam plant that publishes a few dozen
 * realistic tags at 1 Hz, so a newcomer sees live data (and a trend with history) at once.
 *
 * The plant (ISA-style tag names, one area per hundred):
 *   100  boiler B-100: fuel gas, combustion air, flue gas O2 and temperature, drum pressure and level,
 *        superheated steam; the fuel valve is driven by a header-pressure master with feedforward;
 *        an operator occasionally takes it to MAN for a few minutes (B-100.MODE); furnace fouling
 *        builds up between soot blows; a rare combustion upset (20–60 min) raises O2 and stack
 *        temperature and costs 1.2–1.9 t of steam per t of fuel.
 *   200  steam header: process consumers with a daily cycle, random drift and batch loads.
 *   300  feedwater: deaerator, two feed pumps (duty/standby with occasional changeover),
 *        three-element drum level control.
 *   400  tank farm: demineralised-water tank T-401 (on/off inlet valve XV-401 between 30 % and 80 %)
 *        feeding the deaerator make-up; condensate tank T-402 emptied by P-402 (start 75 %, stop 25 %).
 *   500  heat exchanger E-501: process water heated with header steam to 80 °C (valve TV-502).
 *   900  ambient temperature.
 *
 * Two layers:
 *  - the process model (true values): first-order lags, integrating levels and pressure, PI loops,
 *    random-walk disturbances and events, advanced in sub-steps of at most 2 s;
 *  - the instruments (measured values): Gaussian noise, slow calibration drift, low-flow cut-off,
 *    range saturation, rare one-sample spikes (one per tag every few hours), and short sensor
 *    faults — 'bad' quality with the value frozen or null (about 0.5 % of the samples of each
 *    analog tag), 'uncertain' quality (about 0.25 %). Faults never disturb the process itself.
 *    Run states and the mode tag are always good.
 *
 * Deterministic: the same seed and the same sequence of step times give the same values (the daily
 * cycle uses `utcOffsetMinutes`, not the machine's time zone, when it is given).
 */

export type SimulatorTagKind =
  | 'flow'
  | 'temperature'
  | 'pressure'
  | 'level'
  | 'valve'
  | 'analysis'
  | 'current'
  | 'run'
  | 'mode';

export interface SimulatorTag {
  tag: string;
  unit: string;
  description: string;
  kind: SimulatorTagKind;
  /** Plant area, for grouping in a tag picker. */
  area: string;
  /** Instrument range (analog tags): a measured value never leaves it. */
  min?: number;
  max?: number;
}

export interface PlantSimulatorOptions {
  /** PRNG seed; the same seed gives the same data. Random when absent. */
  seed?: number;
  /** Tick period of `start`, a multiple of 1000 ms (default 1000). */
  intervalMs?: number;
  /** Offset of plant local time from UTC for the daily cycles; the machine's offset when absent. */
  utcOffsetMinutes?: number;
  /** Wall clock used by `start` (tests pass a fake one). */
  clock?: () => number;
  /** Called when `publish` throws or rejects; the simulator keeps ticking. */
  onError?: (error: unknown) => void;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  gauss(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const u = 1 - this.next(); // (0, 1]: log is finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** Ornstein–Uhlenbeck process around 0 (exact discretisation): a bounded random drift. */
class Drift {
  value: number;
  private dtS = NaN;
  private keep = 0;
  private kick = 0;
  constructor(
    private readonly sd: number,
    private readonly tauS: number,
    random: Random,
  ) {
    this.value = sd * random.gauss();
  }
  advance(dtS: number, random: Random): number {
    if (dtS !== this.dtS) {
      this.dtS = dtS;
      this.keep = Math.exp(-dtS / this.tauS);
      this.kick = this.sd * Math.sqrt(1 - this.keep * this.keep);
    }
    this.value = this.value * this.keep + this.kick * random.gauss();
    return this.value;
  }
}

// ---------------------------------------------------------------------------------------------
// Process model

const HOUR_MS = 3_600_000;
const MAX_SUBSTEP_S = 2;
/** A longer gap between two steps is simulated as this long (bounds the work of one call). */
const MAX_CATCH_UP_S = 6 * 3600;

const HEADER_SP = 38; // barg, steam header pressure setpoint
const FUEL_MAX = 5; // t/h at 100 % fuel valve
const NOMINAL_STEAM_PER_FUEL = 14; // t/t, boiler master feedforward
const FW_VALVE_MAX = 70; // t/h at 100 % feedwater valve
const MAKEUP_MAX = 60; // m3/h at 100 % make-up valve
const T401_INLET = 40; // m3/h with XV-401 open
const HX_STEAM_MAX = 25; // t/h at 100 % TV-502
const HX_OUTLET_SP = 80; // °C
const LATENT_HEAT = 2100; // kJ/kg at exchanger shell pressure
const CP_WATER = 4.18; // kJ/(kg K)

/** Moves `x` toward `target` as a first-order lag with time constant `tau` (exact for any dt). */
function lag(x: number, target: number, dtS: number, tauS: number): number {
  return x + (target - x) * (1 - Math.exp(-dtS / tauS));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Probability that a Poisson event with the given mean interval happens within dt. */
function eventChance(dtS: number, meanIntervalS: number): number {
  return 1 - Math.exp(-dtS / meanIntervalS);
}

class PlantModel {
  t: number;
  // disturbances
  private readonly weather: Drift;
  private readonly demandDrift: Drift;
  private readonly hxFlowDrift: Drift;
  private readonly hxInletDrift: Drift;
  private readonly o2Drift: Drift;
  private readonly steamTempDrift: Drift;
  private readonly fwTempDrift: Drift;
  batchTarget = 0;
  batchLoad = 0;
  batchUntil = 0;
  fouling: number;
  /** Combustion upset (air damper / burner problem): extra O2 (%) and lost steam per fuel (t/t). */
  upsetO2 = 0;
  upsetLoss = 0;
  private upsetTarget = { o2: 0, loss: 0 };
  private upsetUntil = 0;

  // environment and consumers
  ambient = 0;
  dayLoad = 0;
  procSteam = 0;
  hxFlow = 0;
  hxIn = 0;
  hxOut = HX_OUTLET_SP;
  hxSteam = 0;
  tvOp = 0;
  private hxI = 0;
  hxCondT = 0;

  // boiler
  mode: 'AUTO' | 'MAN' = 'AUTO';
  private manUntil = 0;
  fuelOp = 0;
  fuel = 0;
  steamGen = 0;
  drumP = 0;
  hdrP = HEADER_SP;
  private pI = 0;
  o2 = 3;
  eta = NOMINAL_STEAM_PER_FUEL;
  steamT = 0;
  hdrT = 0;
  flueT = 0;
  totalDemand = 0;

  // drum level and feedwater
  drumLevel = 50;
  fwOp = 0;
  fw = 0;
  private levelI = 0;
  pumpA: boolean;
  pumpB: boolean;
  pumpAStart = -Infinity;
  pumpBStart = -Infinity;
  private stopAt: number | null = null;
  fwT = 104;

  // deaerator and tanks
  daLevel = 60;
  muOp = 0;
  makeup = 0;
  private daI = 0;
  t401Level: number;
  xvOpen: boolean;
  xvOp: number;
  t401Temp = 0;
  t402Level: number;
  p402Run: boolean;
  condReturn = 0;
  condPump = 0;

  constructor(
    t0: number,
    private readonly random: Random,
    private readonly utcOffsetMs: number,
  ) {
    this.t = t0;
    this.weather = new Drift(2, 6 * 3600, random);
    this.demandDrift = new Drift(1.5, 20 * 60, random);
    this.hxFlowDrift = new Drift(6, 15 * 60, random);
    this.hxInletDrift = new Drift(1, 30 * 60, random);
    this.o2Drift = new Drift(0.25, 10 * 60, random);
    this.steamTempDrift = new Drift(2, 15 * 60, random);
    this.fwTempDrift = new Drift(0.6, 10 * 60, random);
    this.fouling = random.uniform(0, 0.15);
    this.pumpA = random.chance(0.5);
    this.pumpB = !this.pumpA;
    this.t401Level = random.uniform(32, 78);
    this.xvOpen = random.chance(0.5);
    this.xvOp = this.xvOpen ? 100 : 0;
    this.t402Level = random.uniform(28, 72);
    this.p402Run = random.chance(0.5);
    this.initialiseSteadyState();
  }

  /** Puts every loop at its operating point for the time of day of `t`. */
  private initialiseSteadyState(): void {
    this.environment(0);
    this.hdrP = HEADER_SP;
    this.procSteam = this.procDemand();
    this.hxFlow = this.hxFlowTarget();
    this.hxIn = this.hxInTarget();
    this.hxOut = HX_OUTLET_SP;
    this.hxSteam = ((HX_OUTLET_SP - this.hxIn) * this.hxFlow * CP_WATER) / LATENT_HEAT;
    this.tvOp = clamp((this.hxSteam / HX_STEAM_MAX) * 100, 0, 100);
    this.hxI = this.tvOp;
    this.hxCondT = 100 + 0.45 * this.tvOp;

    this.updateCombustion();
    this.totalDemand = this.procSteam + this.hxSteam + 0.3;
    this.steamGen = this.totalDemand;
    this.fuel = this.steamGen / this.eta;
    this.fuelOp = (this.fuel / FUEL_MAX) * 100;
    this.pI = this.fuel - this.totalDemand / NOMINAL_STEAM_PER_FUEL;
    this.drumP = this.hdrP + 0.0012 * this.steamGen * this.steamGen;
    this.steamT = this.steamTempTarget();
    this.hdrT = this.hdrTempTarget();
    this.flueT = this.flueTempTarget();

    this.fw = this.steamGen * 1.02;
    this.fwOp = (this.fw / FW_VALVE_MAX) * 100;
    this.fwT = 104;

    this.condReturn = 0.55 * this.procSteam;
    this.condPump = this.p402Run ? this.condPumpTarget() : 0;
    this.makeup = clamp(this.fw - this.condPump - this.hxSteam, 0, MAKEUP_MAX);
    this.daI = this.makeup;
    this.muOp = (this.makeup / MAKEUP_MAX) * 100;
    this.t401Temp = this.ambient + 4;
  }

  /** Advances the process to time `t` (ms) in sub-steps. */
  advanceTo(t: number): void {
    const span = Math.min((t - this.t) / 1000, MAX_CATCH_UP_S);
    if (span <= 0) return;
    const steps = Math.ceil(span / MAX_SUBSTEP_S);
    const dt = span / steps;
    const start = t - span * 1000;
    for (let i = 1; i <= steps; i++) {
      this.t = start + i * dt * 1000;
      this.substep(dt);
    }
    this.t = t;
  }

  private localHour(): number {
    const hours = (this.t + this.utcOffsetMs) / HOUR_MS;
    return ((hours % 24) + 24) % 24;
  }

  private environment(dt: number): void {
    const hour = this.localHour();
    const weather = dt > 0 ? this.weather.advance(dt, this.random) : this.weather.value;
    // coldest around 03:00, warmest around 15:00
    this.ambient = 14 + 6 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + weather;
    // plant load: low at night, high in the afternoon
    this.dayLoad = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
  }

  private procDemand(): number {
    return Math.max(5, 26 + 5 * this.dayLoad + this.demandDrift.value + this.batchLoad);
  }
  private hxFlowTarget(): number {
    return Math.max(20, 110 + 20 * this.dayLoad + this.hxFlowDrift.value);
  }
  private hxInTarget(): number {
    return 32 + 0.5 * (this.ambient - 14) + this.hxInletDrift.value;
  }
  private steamTempTarget(): number {
    return 415 + 0.6 * (this.steamGen - 38) + this.steamTempDrift.value;
  }
  private hdrTempTarget(): number {
    return this.steamT - (8 + 0.2 * (14 - this.ambient));
  }
  private flueTempTarget(): number {
    return 125 + 16 * this.fuel + 150 * this.fouling + 8 * this.upsetO2 + 0.3 * (this.ambient - 14);
  }
  private condPumpTarget(): number {
    return 32 + (4 * (this.t402Level - 50)) / 50;
  }
  private updateCombustion(): void {
    this.o2 = clamp(3 + this.o2Drift.value + this.upsetO2, 1, 10);
    // steam per fuel: fouling, excess air and a combustion upset cost efficiency; warm air helps a little
    this.eta = 14.3 - this.fouling - 0.12 * (this.o2 - 3) - this.upsetLoss + 0.01 * (this.ambient - 14);
  }

  private substep(dt: number): void {
    const random = this.random;
    const t = this.t;

    // ---- environment and disturbances
    this.environment(dt);
    this.demandDrift.advance(dt, random);
    this.hxFlowDrift.advance(dt, random);
    this.hxInletDrift.advance(dt, random);
    this.o2Drift.advance(dt, random);
    this.steamTempDrift.advance(dt, random);
    this.fwTempDrift.advance(dt, random);
    if (this.batchTarget === 0 && random.chance(eventChance(dt, 2 * 3600))) {
      this.batchTarget = random.uniform(3, 6); // a batch unit starts drawing steam
      this.batchUntil = t + random.uniform(10, 60) * 60_000;
    } else if (this.batchTarget > 0 && t >= this.batchUntil) {
      this.batchTarget = 0;
    }
    this.batchLoad = lag(this.batchLoad, this.batchTarget, dt, 20);
    // furnace fouling builds up; soot blowing cleans most of it every few hours
    this.fouling += (dt * 0.025) / 3600;
    if (random.chance(eventChance(dt, 8 * 3600))) this.fouling *= 0.15;
    // now and then a combustion upset (air damper sticking, burner fouled) for 20–60 minutes
    if (this.upsetTarget.o2 === 0 && random.chance(eventChance(dt, 16 * 3600))) {
      this.upsetTarget = { o2: random.uniform(2, 4), loss: random.uniform(1, 1.4) };
      this.upsetUntil = t + random.uniform(20, 60) * 60_000;
    } else if (this.upsetTarget.o2 > 0 && t >= this.upsetUntil) {
      this.upsetTarget = { o2: 0, loss: 0 };
    }
    this.upsetO2 = lag(this.upsetO2, this.upsetTarget.o2, dt, 60);
    this.upsetLoss = lag(this.upsetLoss, this.upsetTarget.loss, dt, 60);

    // ---- steam consumers
    const pressureFactor = Math.sqrt(Math.max(this.hdrP, 1) / HEADER_SP);
    this.procSteam = this.procDemand() * pressureFactor;

    // ---- heat exchanger E-501: TIC-502 holds the outlet at 80 °C with the steam valve
    this.hxFlow = lag(this.hxFlow, this.hxFlowTarget(), dt, 30);
    this.hxIn = lag(this.hxIn, this.hxInTarget(), dt, 60);
    this.hxSteam = lag(this.hxSteam, (HX_STEAM_MAX * this.tvOp * pressureFactor) / 100, dt, 5);
    const rise = (this.hxSteam * LATENT_HEAT) / (this.hxFlow * CP_WATER);
    this.hxOut = lag(this.hxOut, this.hxIn + rise, dt, 40);
    const hxError = HX_OUTLET_SP - this.hxOut;
    const hxP = 0.8 * hxError;
    const hxI = this.hxI + 0.02 * hxError * dt;
    this.tvOp = clamp(hxP + hxI, 0, 100);
    if (this.tvOp === hxP + hxI) this.hxI = hxI; // no integral wind-up at the valve's end stops
    this.hxCondT = lag(this.hxCondT, 100 + 0.45 * this.tvOp, dt, 60);

    // ---- boiler B-100
    this.updateCombustion();
    this.totalDemand = this.procSteam + this.hxSteam + 0.3; // 0.3 t/h traps and losses
    const pressureError = HEADER_SP - this.hdrP;
    if (this.mode === 'AUTO' && random.chance(eventChance(dt, 10 * 3600))) {
      this.mode = 'MAN'; // the operator holds the firing rate by hand for a while
      this.manUntil = t + random.uniform(5, 20) * 60_000;
    } else if (this.mode === 'MAN' && t >= this.manUntil) {
      this.mode = 'AUTO';
      // bumpless transfer: the integral takes over where the hand left the valve
      this.pI = clamp((this.fuelOp / 100) * FUEL_MAX - this.totalDemand / NOMINAL_STEAM_PER_FUEL - 0.25 * pressureError, -3, 3);
    }
    if (this.mode === 'AUTO') {
      this.pI = clamp(this.pI + 0.0015 * pressureError * dt, -3, 3);
      const fuelDemand = this.totalDemand / NOMINAL_STEAM_PER_FUEL + 0.25 * pressureError + this.pI;
      this.fuelOp = clamp((fuelDemand / FUEL_MAX) * 100, 5, 100);
    }
    this.fuel = lag(this.fuel, (this.fuelOp / 100) * FUEL_MAX, dt, 4);
    // steam production follows firing with the thermal inertia of the boiler
    this.steamGen = lag(this.steamGen, this.eta * this.fuel, dt, 40);
    this.drumP = clamp(this.drumP + ((this.steamGen - this.totalDemand) / 150) * dt, 5, 55);
    this.hdrP = this.drumP - 0.0012 * this.steamGen * this.steamGen;
    this.steamT = lag(this.steamT, this.steamTempTarget(), dt, 60);
    this.hdrT = lag(this.hdrT, this.hdrTempTarget(), dt, 90);
    this.flueT = lag(this.flueT, this.flueTempTarget(), dt, 120);

    // ---- feed pumps: duty/standby changeover now and then
    if (this.stopAt === null && random.chance(eventChance(dt, 6 * 3600))) {
      if (this.pumpA) {
        this.pumpB = true;
        this.pumpBStart = t;
      } else {
        this.pumpA = true;
        this.pumpAStart = t;
      }
      this.stopAt = t + 15_000;
    } else if (this.stopAt !== null && t >= this.stopAt) {
      // stop the pump that started first
      if (this.pumpAStart <= this.pumpBStart) this.pumpA = false;
      else this.pumpB = false;
      this.stopAt = null;
    }
    const pumps = (this.pumpA ? 1 : 0) + (this.pumpB ? 1 : 0);

    // ---- drum level: three-element control (steam flow feedforward + level PI)
    const blowdown = 0.02 * this.steamGen;
    const levelError = 50 - this.drumLevel;
    this.levelI = clamp(this.levelI + 0.004 * levelError * dt, -10, 10);
    const fwDemand = this.steamGen + blowdown + 0.6 * levelError + this.levelI;
    this.fwOp = clamp((fwDemand / FW_VALVE_MAX) * 100, 0, 100);
    const fwCapacity = pumps === 0 || this.daLevel < 2 ? 0 : FW_VALVE_MAX * (1 + 0.05 * (pumps - 1));
    this.fw = lag(this.fw, (fwCapacity * this.fwOp) / 100, dt, 3);
    this.drumLevel = clamp(this.drumLevel + ((this.fw - this.steamGen - blowdown) / 60) * dt, 0, 100);
    this.fwT = lag(this.fwT, 104 + this.fwTempDrift.value, dt, 30);

    // ---- condensate tank T-402 and pump P-402 (level switches at 75 % and 25 %)
    this.condReturn = lag(this.condReturn, 0.55 * this.procSteam, dt, 300);
    if (!this.p402Run && this.t402Level > 75) this.p402Run = true;
    else if (this.p402Run && this.t402Level < 25) this.p402Run = false;
    this.condPump = lag(this.condPump, this.p402Run ? this.condPumpTarget() : 0, dt, 3);
    this.t402Level = clamp(this.t402Level + ((this.condReturn - this.condPump) / 3600 / 0.2) * dt, 0, 100);

    // ---- deaerator: level held at 60 % with make-up water from T-401
    const daError = 60 - this.daLevel;
    const muP = 4 * daError;
    const muI = this.daI + 0.01 * daError * dt;
    const muDemand = clamp(muP + muI, 0, MAKEUP_MAX);
    if (muDemand === muP + muI) this.daI = muI;
    this.muOp = (muDemand / MAKEUP_MAX) * 100;
    const makeupAvailable = this.t401Level > 1 ? 1 : 0;
    this.makeup = lag(this.makeup, ((MAKEUP_MAX * this.muOp) / 100) * makeupAvailable, dt, 5);
    const daIn = this.makeup + this.condPump + this.hxSteam; // exchanger condensate returns here
    this.daLevel = clamp(this.daLevel + ((daIn - this.fw) / 3600 / 0.4) * dt, 0, 100);

    // ---- demin water tank T-401: XV-401 opens below 30 %, closes above 80 % (10 s travel)
    if (!this.xvOpen && this.t401Level < 30) this.xvOpen = true;
    else if (this.xvOpen && this.t401Level > 80) this.xvOpen = false;
    this.xvOp = clamp(this.xvOp + (this.xvOpen ? 10 : -10) * dt, 0, 100);
    const t401In = (T401_INLET * this.xvOp) / 100;
    this.t401Level = clamp(this.t401Level + ((t401In - this.makeup) / 3600 / 1.5) * dt, 0, 100);
    this.t401Temp = lag(this.t401Temp, this.ambient + 4, dt, 3 * 3600);
  }

  /** Feedwater pump discharge pressure, barg. */
  pumpDischarge(): number {
    const pumps = (this.pumpA ? 1 : 0) + (this.pumpB ? 1 : 0);
    if (pumps === 0) return this.drumP;
    return 62 - 0.0035 * this.fw * this.fw + (pumps > 1 ? 3 : 0);
  }

  /** Motor current of a feed pump, A, with the inrush of a start. */
  pumpCurrent(running: boolean, startedAt: number): number {
    if (!running) return 0;
    const pumps = (this.pumpA ? 1 : 0) + (this.pumpB ? 1 : 0);
    const since = Math.max(0, this.t - startedAt);
    return 48 + (0.9 * this.fw) / pumps + 240 * Math.exp(-since / 1200);
  }

  /** Drum level as the transmitter sees it: swells when steam is drawn faster than it is made. */
  measuredDrumLevel(): number {
    return this.drumLevel + 0.8 * (this.totalDemand - this.steamGen);
  }
}

// ---------------------------------------------------------------------------------------------
// Instruments

interface AnalogChannel extends SimulatorTag {
  min: number;
  max: number;
  /** Standard deviation of the measurement noise, in the tag's unit. */
  noise: number;
  decimals: number;
  /** Readings closer to 0 than this show 0 (flow meters' low-flow cut-off, motor currents), and so
   * does the instrument when the true value is below it (no flow, motor stopped). */
  cutoff?: number;
  read(model: PlantModel): number;
}

interface DiscreteChannel extends SimulatorTag {
  read(model: PlantModel): boolean | string;
}

const BOILER = 'Boiler B-100';
const HEADER = 'Steam header';
const FEEDWATER = 'Feedwater';
const TANKS = 'Tank farm';
const EXCHANGER = 'Heat exchanger E-501';
const SITE = 'Site';

const ANALOG: AnalogChannel[] = [
  { tag: 'FT-101.PV', unit: 't/h', kind: 'flow', area: BOILER, description: 'Boiler B-100 steam production', min: 0, max: 80, noise: 0.35, decimals: 2, cutoff: 0.8, read: (m) => m.steamGen },
  { tag: 'FT-102.PV', unit: 't/h', kind: 'flow', area: BOILER, description: 'Boiler B-100 fuel gas flow', min: 0, max: 6, noise: 0.02, decimals: 3, cutoff: 0.06, read: (m) => m.fuel },
  { tag: 'FT-103.PV', unit: 't/h', kind: 'flow', area: BOILER, description: 'Boiler B-100 combustion air flow', min: 0, max: 120, noise: 0.6, decimals: 1, cutoff: 1.2, read: (m) => (m.fuel * 17.2 * 21) / (21 - m.o2) },
  { tag: 'AT-101.PV', unit: '%', kind: 'analysis', area: BOILER, description: 'Boiler B-100 flue gas oxygen (dry)', min: 0, max: 21, noise: 0.05, decimals: 2, read: (m) => m.o2 },
  { tag: 'TT-102.PV', unit: '°C', kind: 'temperature', area: BOILER, description: 'Boiler B-100 flue gas temperature at stack', min: 0, max: 400, noise: 0.5, decimals: 1, read: (m) => m.flueT },
  { tag: 'PT-101.PV', unit: 'barg', kind: 'pressure', area: BOILER, description: 'Boiler B-100 drum pressure', min: 0, max: 60, noise: 0.05, decimals: 2, read: (m) => m.drumP },
  { tag: 'LT-101.PV', unit: '%', kind: 'level', area: BOILER, description: 'Boiler B-100 drum level', min: 0, max: 100, noise: 0.5, decimals: 1, read: (m) => m.measuredDrumLevel() },
  { tag: 'TT-101.PV', unit: '°C', kind: 'temperature', area: BOILER, description: 'Boiler B-100 superheated steam temperature', min: 0, max: 600, noise: 0.4, decimals: 1, read: (m) => m.steamT },
  { tag: 'FV-102.OP', unit: '%', kind: 'valve', area: BOILER, description: 'Boiler B-100 fuel gas control valve position', min: 0, max: 100, noise: 0.05, decimals: 1, read: (m) => m.fuelOp },

  { tag: 'PT-201.PV', unit: 'barg', kind: 'pressure', area: HEADER, description: 'Steam header pressure (setpoint 38 barg)', min: 0, max: 60, noise: 0.05, decimals: 2, read: (m) => m.hdrP },
  { tag: 'TT-201.PV', unit: '°C', kind: 'temperature', area: HEADER, description: 'Steam header temperature', min: 0, max: 600, noise: 0.4, decimals: 1, read: (m) => m.hdrT },
  { tag: 'FT-201.PV', unit: 't/h', kind: 'flow', area: HEADER, description: 'Steam to process users', min: 0, max: 80, noise: 0.3, decimals: 2, cutoff: 0.8, read: (m) => m.procSteam },

  { tag: 'FT-301.PV', unit: 't/h', kind: 'flow', area: FEEDWATER, description: 'Feedwater flow to boiler B-100', min: 0, max: 100, noise: 0.4, decimals: 2, cutoff: 1, read: (m) => m.fw },
  { tag: 'FV-301.OP', unit: '%', kind: 'valve', area: FEEDWATER, description: 'Feedwater control valve position (drum level control)', min: 0, max: 100, noise: 0.05, decimals: 1, read: (m) => m.fwOp },
  { tag: 'TT-301.PV', unit: '°C', kind: 'temperature', area: FEEDWATER, description: 'Feedwater temperature after deaerator', min: 0, max: 200, noise: 0.15, decimals: 1, read: (m) => m.fwT },
  { tag: 'PT-301.PV', unit: 'barg', kind: 'pressure', area: FEEDWATER, description: 'Feed pump discharge pressure', min: 0, max: 100, noise: 0.15, decimals: 2, read: (m) => m.pumpDischarge() },
  { tag: 'II-301A.PV', unit: 'A', kind: 'current', area: FEEDWATER, description: 'Feed pump P-301A motor current', min: 0, max: 400, noise: 0.4, decimals: 1, cutoff: 2, read: (m) => m.pumpCurrent(m.pumpA, m.pumpAStart) },
  { tag: 'II-301B.PV', unit: 'A', kind: 'current', area: FEEDWATER, description: 'Feed pump P-301B motor current', min: 0, max: 400, noise: 0.4, decimals: 1, cutoff: 2, read: (m) => m.pumpCurrent(m.pumpB, m.pumpBStart) },
  { tag: 'LT-301.PV', unit: '%', kind: 'level', area: FEEDWATER, description: 'Deaerator level (setpoint 60 %)', min: 0, max: 100, noise: 0.3, decimals: 1, read: (m) => m.daLevel },

  { tag: 'LT-401.PV', unit: '%', kind: 'level', area: TANKS, description: 'Demin water tank T-401 level', min: 0, max: 100, noise: 0.15, decimals: 2, read: (m) => m.t401Level },
  { tag: 'FT-401.PV', unit: 'm3/h', kind: 'flow', area: TANKS, description: 'Demin water into tank T-401', min: 0, max: 60, noise: 0.3, decimals: 2, cutoff: 0.6, read: (m) => (T401_INLET * m.xvOp) / 100 },
  { tag: 'XV-401.OP', unit: '%', kind: 'valve', area: TANKS, description: 'Tank T-401 inlet on/off valve position', min: 0, max: 100, noise: 0, decimals: 1, read: (m) => m.xvOp },
  { tag: 'TT-401.PV', unit: '°C', kind: 'temperature', area: TANKS, description: 'Demin water tank T-401 temperature', min: 0, max: 60, noise: 0.1, decimals: 1, read: (m) => m.t401Temp },
  { tag: 'FT-402.PV', unit: 'm3/h', kind: 'flow', area: TANKS, description: 'Make-up water from T-401 to the deaerator', min: 0, max: 80, noise: 0.3, decimals: 2, cutoff: 0.8, read: (m) => m.makeup },
  { tag: 'FV-402.OP', unit: '%', kind: 'valve', area: TANKS, description: 'Make-up water valve position (deaerator level control)', min: 0, max: 100, noise: 0.05, decimals: 1, read: (m) => m.muOp },
  { tag: 'LT-402.PV', unit: '%', kind: 'level', area: TANKS, description: 'Condensate tank T-402 level', min: 0, max: 100, noise: 0.3, decimals: 1, read: (m) => m.t402Level },
  { tag: 'FT-403.PV', unit: 'm3/h', kind: 'flow', area: TANKS, description: 'Condensate returned from process to T-402', min: 0, max: 50, noise: 0.2, decimals: 2, cutoff: 0.5, read: (m) => m.condReturn },
  { tag: 'FT-404.PV', unit: 'm3/h', kind: 'flow', area: TANKS, description: 'Condensate pumped by P-402 to the deaerator', min: 0, max: 60, noise: 0.3, decimals: 2, cutoff: 0.6, read: (m) => m.condPump },

  { tag: 'FT-501.PV', unit: 'm3/h', kind: 'flow', area: EXCHANGER, description: 'Process water through E-501', min: 0, max: 250, noise: 1, decimals: 1, cutoff: 2.5, read: (m) => m.hxFlow },
  { tag: 'TT-501.PV', unit: '°C', kind: 'temperature', area: EXCHANGER, description: 'E-501 process water inlet temperature', min: 0, max: 150, noise: 0.15, decimals: 1, read: (m) => m.hxIn },
  { tag: 'TT-502.PV', unit: '°C', kind: 'temperature', area: EXCHANGER, description: 'E-501 process water outlet temperature (setpoint 80 °C)', min: 0, max: 150, noise: 0.15, decimals: 1, read: (m) => m.hxOut },
  { tag: 'FT-502.PV', unit: 't/h', kind: 'flow', area: EXCHANGER, description: 'Steam to E-501', min: 0, max: 30, noise: 0.1, decimals: 2, cutoff: 0.3, read: (m) => m.hxSteam },
  { tag: 'TV-502.OP', unit: '%', kind: 'valve', area: EXCHANGER, description: 'E-501 steam control valve position', min: 0, max: 100, noise: 0.05, decimals: 1, read: (m) => m.tvOp },
  { tag: 'TT-503.PV', unit: '°C', kind: 'temperature', area: EXCHANGER, description: 'E-501 condensate outlet temperature', min: 0, max: 200, noise: 0.3, decimals: 1, read: (m) => m.hxCondT },

  { tag: 'TT-901.PV', unit: '°C', kind: 'temperature', area: SITE, description: 'Ambient air temperature', min: -40, max: 60, noise: 0.05, decimals: 1, read: (m) => m.ambient },
];

const DISCRETE: DiscreteChannel[] = [
  { tag: 'B-100.MODE', unit: '', kind: 'mode', area: BOILER, description: "Boiler B-100 firing control mode: 'AUTO' (pressure master) or 'MAN' (operator)", read: (m) => m.mode },
  { tag: 'P-301A.RUN', unit: '', kind: 'run', area: FEEDWATER, description: 'Feed pump P-301A running', read: (m) => m.pumpA },
  { tag: 'P-301B.RUN', unit: '', kind: 'run', area: FEEDWATER, description: 'Feed pump P-301B running (standby pump)', read: (m) => m.pumpB },
  { tag: 'P-402.RUN', unit: '', kind: 'run', area: TANKS, description: 'Condensate pump P-402 running', read: (m) => m.p402Run },
];

function describeTag(channel: SimulatorTag): SimulatorTag {
  const { tag, unit, description, kind, area, min, max } = channel;
  return min === undefined ? { tag, unit, description, kind, area } : { tag, unit, description, kind, area, min, max };
}

/** Every tag the simulator publishes, in publication order. */
export const SIMULATOR_TAGS: ReadonlyArray<Readonly<SimulatorTag>> = Object.freeze(
  [...ANALOG, ...DISCRETE].map((channel) => Object.freeze(describeTag(channel))),
);

/** Sensor faults: rate per second of a fault starting, and its length. */
const BAD_RATE = 0.0003;
const BAD_SECONDS: [number, number] = [5, 30];
const UNCERTAIN_RATE = 0.0005;
const UNCERTAIN_SECONDS: [number, number] = [2, 8];
/** Probability that one sample of an analog tag is a spike. */
const SPIKE_CHANCE = 0.00005;
/** Calibration drift of a transmitter: standard deviation as a multiple of its noise, and pace. */
const BIAS_SD_FACTOR = 0.8;
const BIAS_TAU_S = 3600;

/** 10^decimals of each analog channel, for rounding readings. */
const SCALES = ANALOG.map((channel) => 10 ** channel.decimals);

interface ChannelState {
  bias: Drift;
  /** Fault in progress until this instant (ms). */
  faultUntil: number;
  faultQuality: Quality;
  frozen: number | null;
  last: number | null;
}


// ---------------------------------------------------------------------------------------------
// The simulator

export class PlantSimulator {
  /** The PRNG seed in use (given or drawn), so a run can be reproduced. */
  readonly seed: number;
  private readonly random: Random;
  private readonly utcOffsetMs: number;
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private readonly onError: (error: unknown) => void;
  private model: PlantModel | null = null;
  private channels: ChannelState[] = [];
  private lastTs: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private running = false;
  /** Bumped by every start, so callbacks of an earlier start/stop cycle cannot tick again. */
  private generation = 0;

  constructor(options: PlantSimulatorOptions = {}) {
    this.seed = (options.seed ?? (Math.floor(Math.random() * 2 ** 32) ^ Date.now())) >>> 0;
    this.random = new Random(this.seed);
    this.utcOffsetMs = (options.utcOffsetMinutes ?? -new Date().getTimezoneOffset()) * 60_000;
    this.intervalMs = options.intervalMs ?? 1000;
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 1000 || this.intervalMs % 1000 !== 0) {
      throw new RangeError(`simulator intervalMs must be a whole number of seconds in ms (1000, 2000, …), got ${options.intervalMs}`);
    }
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
  }

  /** The tags this simulator publishes. */
  get tags(): ReadonlyArray<Readonly<SimulatorTag>> {
    return SIMULATOR_TAGS;
  }

  /** Whether `start` is ticking. */
  get started(): boolean {
    return this.running;
  }

  /** Timestamp of the last tick produced, or null before the first. */
  get lastTickTs(): number | null {
    return this.lastTs;
  }

  /**
   * Advances the plant to `nowMs` and returns the values of every tag at that instant. The tick time
   * is `nowMs` rounded down to the second, shared by every value. Needs no timer; the same seed and
   * the same sequence of times give the same values. A time not after the latest tick does not move
   * the process (the instruments are read again, stamped with the time asked for).
   */
  step(nowMs: number): TagValue[] {
    if (!Number.isFinite(nowMs)) throw new RangeError(`simulator step time must be a finite number of ms, got ${nowMs}`);
    const ts = Math.floor(nowMs / 1000) * 1000;
    let dtS: number;
    if (this.model === null) {
      this.model = new PlantModel(ts, this.random, this.utcOffsetMs);
      this.channels = ANALOG.map((channel) => ({
        bias: new Drift(channel.noise * BIAS_SD_FACTOR, BIAS_TAU_S, this.random),
        faultUntil: -Infinity,
        faultQuality: 'good' as Quality,
        frozen: null,
        last: null,
      }));
      dtS = 1;
    } else {
      dtS = Math.max(0, (ts - (this.lastTs ?? ts)) / 1000);
      this.model.advanceTo(ts);
    }
    this.lastTs = Math.max(ts, this.lastTs ?? ts);
    return this.measure(ts, dtS);
  }

  /**
   * Ticks at every multiple of `stepMs` in [fromMs, toMs), continuing this simulator's process (so
   * `start` after a backfill carries on from where the history ends). `stepMs` is a whole number of
   * seconds in ms.
   */
  *backfill(fromMs: number, toMs: number, stepMs = 1000): Generator<TagValue[], void, undefined> {
    if (!Number.isInteger(stepMs) || stepMs < 1000 || stepMs % 1000 !== 0) {
      throw new RangeError(`backfill stepMs must be a whole number of seconds in ms (1000, 2000, …), got ${stepMs}`);
    }
    for (let t = Math.ceil(fromMs / stepMs) * stepMs; t < toMs; t += stepMs) yield this.step(t);
  }

  /**
   * Publishes a tick every `intervalMs`, aligned to the clock (…:00.000, …:01.000, …). The next tick
   * is scheduled once `publish` settles, so a slow consumer is never overlapped; ticks missed
   * meanwhile are skipped, not replayed.
   */
  start(publish: (values: TagValue[]) => void | Promise<void>): void {
    if (this.running) throw new Error('the plant simulator is already running');
    this.running = true;
    this.schedule(publish, ++this.generation);
  }

  /** Stops ticking; resolves once a publish in progress has settled. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.inFlight;
  }

  private schedule(publish: (values: TagValue[]) => void | Promise<void>, generation: number): void {
    if (!this.running || generation !== this.generation) return;
    const interval = this.intervalMs;
    const now = this.clock();
    let due = Math.floor(now / interval) * interval + interval;
    if (this.lastTs !== null && due <= this.lastTs) due = this.lastTs + interval;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.running || generation !== this.generation) return;
      // Fired late: use the latest boundary passed, never one already published.
      let ts = Math.max(due, Math.floor(this.clock() / interval) * interval);
      if (this.lastTs !== null && ts <= this.lastTs) ts = this.lastTs + interval;
      let values: TagValue[];
      try {
        values = this.step(ts);
      } catch (error) {
        this.onError(error);
        this.schedule(publish, generation);
        return;
      }
      const flight = (async () => {
        try {
          await publish(values);
        } catch (error) {
          this.onError(error);
        }
      })();
      this.inFlight = flight;
      void flight.then(() => {
        if (this.inFlight === flight) this.inFlight = null;
        this.schedule(publish, generation);
      });
    }, Math.max(0, due - now));
  }

  private measure(ts: number, dtS: number): TagValue[] {
    const model = this.model!;
    const random = this.random;
    const values: TagValue[] = new Array(ANALOG.length + DISCRETE.length);
    const sampleS = Math.max(dtS, 1);
    const badAvg = (BAD_SECONDS[0] + BAD_SECONDS[1]) / 2;
    const uncertainAvg = (UNCERTAIN_SECONDS[0] + UNCERTAIN_SECONDS[1]) / 2;
    // Chance that a fault starts at this sample: keeps the share of faulty samples about the same
    // whatever the sampling step (a coarse step sees at most one sample per fault).
    const badChance = BAD_RATE * Math.min(sampleS, badAvg);
    const uncertainChance = UNCERTAIN_RATE * Math.min(sampleS, uncertainAvg);

    for (let i = 0; i < ANALOG.length; i++) {
      const channel = ANALOG[i];
      const state = this.channels[i];
      if (ts >= state.faultUntil) {
        state.faultQuality = 'good';
        if (random.chance(badChance)) {
          state.faultQuality = 'bad';
          state.faultUntil = ts + Math.round(random.uniform(BAD_SECONDS[0], BAD_SECONDS[1])) * 1000;
          // a failed transmitter either holds its last reading or reports nothing
          state.frozen = random.chance(0.7) ? state.last : null;
        } else if (random.chance(uncertainChance)) {
          state.faultQuality = 'uncertain';
          state.faultUntil = ts + Math.round(random.uniform(UNCERTAIN_SECONDS[0], UNCERTAIN_SECONDS[1])) * 1000;
        }
      }
      const bias = dtS > 0 ? state.bias.advance(dtS, random) : state.bias.value;
      const truth = channel.read(model);
      let reading = truth + bias + channel.noise * random.gauss();
      if (channel.kind !== 'valve' && random.chance(SPIKE_CHANCE)) {
        reading += (random.chance(0.5) ? 1 : -1) * random.uniform(0.03, 0.1) * (channel.max - channel.min);
      }
      // no flow (pump stopped, valve shut) or a stopped motor reads 0, as does noise below the cut-off
      if (channel.cutoff !== undefined && (Math.abs(truth) < channel.cutoff || Math.abs(reading) < channel.cutoff)) reading = 0;
      const scale = SCALES[i];
      reading = Math.round(clamp(reading, channel.min, channel.max) * scale) / scale + 0; // + 0: no -0

      let value: TagScalar = reading;
      const quality = state.faultQuality;
      if (quality === 'bad') value = state.frozen;
      else state.last = reading;
      values[i] = { tag: channel.tag, value, ts, quality };
    }
    for (let j = 0; j < DISCRETE.length; j++) {
      const channel = DISCRETE[j];
      values[ANALOG.length + j] = { tag: channel.tag, value: channel.read(model), ts, quality: 'good' };
    }
    return values;
  }
}

/**
 * Ticks of a fresh simulator at every multiple of `stepMs` in [fromMs, toMs): seeds the embedded
 * history so the trend page has data on first start. To carry on live from the end of the backfill,
 * use the `backfill` method of the simulator that is then started.
 */
export function* backfill(
  fromMs: number,
  toMs: number,
  stepMs = 1000,
  options: Omit<PlantSimulatorOptions, 'intervalMs' | 'clock' | 'onError'> = {},
): Generator<TagValue[], void, undefined> {
  yield* new PlantSimulator(options).backfill(fromMs, toMs, stepMs);
}
