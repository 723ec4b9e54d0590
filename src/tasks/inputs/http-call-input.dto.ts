import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsJsonObject } from '../../common/json-validators';

/** Input of an `http_call` task (TaskInputJSON for that type). */
export class HttpCallInputDto {
  /** Name of an endpoint configured by the operator (HTTP_CALL_ENDPOINTS); clients cannot name hosts. */
  @IsString()
  @Length(1, 100)
  endpoint: string;

  /** Path appended to the endpoint's base URL. */
  @IsOptional()
  @IsString()
  @Matches(/^\/(?!\/)[^\s]*$/, { message: 'path must start with a single "/" and contain no spaces' })
  @Length(1, 2000)
  path?: string;

  /** HTTP method of the call. */
  @IsOptional()
  @IsIn(['POST', 'PUT', 'PATCH'])
  method?: 'POST' | 'PUT' | 'PATCH' = 'POST';

  /** JSON object forwarded to the service as `payload`. */
  @IsOptional()
  @IsJsonObject(256 * 1024)
  payload?: Record<string, unknown>;
}
