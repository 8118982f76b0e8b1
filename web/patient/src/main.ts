// The patient consent page: boots from the bureau's config, then draws the screen the state
// calls for (a key to create, import or unlock; or the tabs of an unlocked key).
import { BureauClient } from "./bureau";
import {
  BUREAU_CHAIN_PATH,
  ChainReader,
  chooseChainUrl,
  chosenChainUrl,
  type Binding,
} from "./chain";
import type { PageConfig } from "./config";
import { fill, h } from "./dom";
import { language, setLanguage, t } from "./i18n";
import { notice, report, type Page, type Tab } from "./page";
import { homeScreen } from "./screens/home";
import { keyScreen } from "./screens/keys";
import type { Wallet } from "ethers";

class PatientPage implements Page {
  wallet: Wallet | null = null;
  binding: Binding | null = null;
  tab: Tab = "consents";
  private reader: ChainReader;

  constructor(
    readonly config: PageConfig,
    readonly bureau: BureauClient,
    private readonly main: HTMLElement,
  ) {
    this.reader = new ChainReader(chosenChainUrl() ?? BUREAU_CHAIN_PATH, config);
  }

  chain(): ChainReader {
    return this.reader;
  }

  useChain(url: string | null): void {
    chooseChainUrl(url);
    this.reader = new ChainReader(url ?? BUREAU_CHAIN_PATH, this.config);
    this.binding = null;
  }

  show(): void {
    drawHeader(() => this.show());
    fill(this.main, this.wallet === null ? keyScreen(this) : homeScreen(this));
  }
}

function drawHeader(redraw: () => void): void {
  document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  const header = document.getElementById("header");
  if (header === null) return;
  fill(
    header,
    h("h1", {}, t("title")),
    h(
      "button",
      {
        type: "button",
        id: "language",
        class: "plain",
        lang: language() === "zh" ? "en" : "zh-CN",
        onclick: () => {
          setLanguage(language() === "zh" ? "en" : "zh");
          redraw();
        },
      },
      t("other_language"),
    ),
  );
}

async function boot(): Promise<void> {
  const main = document.getElementById("app");
  if (main === null) return;
  drawHeader(() => void boot());
  fill(main, notice("info", t("loading")));
  const bureau = new BureauClient();
  try {
    const config = await bureau.config();
    new PatientPage(config, bureau, main).show();
  } catch (error) {
    report(main, error);
    main.append(h("button", { type: "button", onclick: () => void boot() }, t("retry")));
  }
}

void boot();
