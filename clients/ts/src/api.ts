// A thin, typed wx.request wrapper over the types openapi-typescript generates from openapi/openapi.json.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
type Method = "get" | "post" | "put" | "patch" | "delete";

// The JSON body an operation answers with for a status, and the body it takes.
type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : never;
export type Ok<P extends keyof paths, M extends Method> = paths[P][M] extends { responses: infer R }
  ? JsonOf<R[200 & keyof R]> | JsonOf<R[201 & keyof R]>
  : never;
export type BodyOf<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

export const BASE_URL = "https://jincheng.example.cn";

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail ?? problem.title}`);
  }
}

let accessToken = "";
let refreshing: Promise<void> | null = null;

function call<T>(method: Method, path: string, data: unknown, auth: boolean): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    wx.request({
      url: BASE_URL + path,
      method: method.toUpperCase() as WxRequestOption["method"],
      data,
      header: auth && accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
      success: (res) => resolve({ status: res.statusCode, body: res.data as T }),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

/** Sign in with the code of wx.login; keeps the access token in memory and the refresh token in storage. */
export async function signIn(): Promise<void> {
  const code = await new Promise<string>((resolve, reject) =>
    wx.login({ success: (r) => resolve(r.code), fail: (e) => reject(new Error(e.errMsg)) }),
  );
  const body: BodyOf<"/api/v1/auth/wechat/login", "post"> = { code };
  const res = await call<Schemas["TokenPair"] | Problem>("post", "/api/v1/auth/wechat/login", body, false);
  if (res.status !== 200) throw new ApiError(res.body as Problem);
  keep(res.body as Schemas["TokenPair"]);
}

function keep(pair: Schemas["TokenPair"]): void {
  accessToken = pair.access_token;
  wx.setStorageSync("refresh_token", pair.refresh_token);
}

/** One refresh at a time: a refresh token works once, so concurrent 401s share one refresh. */
function refreshOnce(): Promise<void> {
  refreshing ??= (async () => {
    const body: BodyOf<"/api/v1/auth/refresh", "post"> = { refresh_token: wx.getStorageSync("refresh_token") };
    const res = await call<Schemas["TokenPair"] | Problem>("post", "/api/v1/auth/refresh", body, false);
    if (res.status === 200) keep(res.body as Schemas["TokenPair"]);
    else await signIn(); // auth.refresh_token_expired / _revoked / _reused: sign in again
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A typed call: `api("get", "/api/v1/me")`. Refreshes once on 401 `auth.unauthenticated`, then retries. */
export async function api<P extends keyof paths & string, M extends Method>(
  method: M,
  path: P,
  body?: BodyOf<P, M>,
): Promise<Ok<P, M>> {
  let res = await call<Ok<P, M> | Problem>(method, path, body, true);
  if (res.status === 401 && (res.body as Problem).code === "auth.unauthenticated") {
    await refreshOnce();
    res = await call<Ok<P, M> | Problem>(method, path, body, true);
  }
  if (res.status >= 400) throw new ApiError(res.body as Problem);
  return res.body as Ok<P, M>;
}

/** Upload a photo chosen with wx.chooseMedia: multipart field `file`, as the contract's ComplaintPhotoUpload says. */
export function uploadPhoto(filePath: string): Promise<Schemas["PhotoOut"]> {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: `${BASE_URL}/api/v1/complaint-photos`,
      filePath,
      name: "file" satisfies keyof Schemas["ComplaintPhotoUpload"],
      header: { Authorization: `Bearer ${accessToken}` },
      success: (res) => {
        const data = JSON.parse(res.data) as Schemas["PhotoOut"] | Problem;
        if (res.statusCode === 201) resolve(data as Schemas["PhotoOut"]);
        else reject(new ApiError(data as Problem));
      },
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}
