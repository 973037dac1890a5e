// The few mini-program APIs the example uses (the full typings are the `miniprogram-api-typings` package).
interface WxRequestOption {
  url: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  data?: unknown;
  header?: Record<string, string>;
  success?: (res: { statusCode: number; data: unknown; header: Record<string, string> }) => void;
  fail?: (err: { errMsg: string }) => void;
}
interface WxUploadFileOption {
  url: string;
  filePath: string;
  name: string;
  header?: Record<string, string>;
  success?: (res: { statusCode: number; data: string }) => void;
  fail?: (err: { errMsg: string }) => void;
}
declare const wx: {
  request(option: WxRequestOption): void;
  uploadFile(option: WxUploadFileOption): void;
  login(option: { success: (res: { code: string }) => void; fail?: (err: { errMsg: string }) => void }): void;
  getStorageSync(key: string): string;
  setStorageSync(key: string, value: string): void;
};
